// Loads service.yaml: parse (keeping positions) → ${ENV} interpolation on scalar values →
// validation against schemas/service.schema.json. Every mistake is collected with its
// line and column; nothing is thrown until all of them are known.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node, type Pair, type Scalar, type YAMLError } from 'yaml';
import type { ServiceDeclaration } from './declaration.types.ts';
import { DeclarationError, JararacaError, type DeclarationProblem } from './errors.ts';
import type { ValidateFunction } from 'ajv';
import { validate as validateService } from './service-validator.generated.ts';
import { describeValue, formatPath, schemaIssues, type PathSegment, type SchemaIssue } from './schema.ts';

export type { ServiceDeclaration } from './declaration.types.ts';


/** A parsed, interpolated declaration that can point back into its file. */
export class Declaration {
  readonly file: string;
  readonly dir: string;
  readonly service: ServiceDeclaration;
  readonly problems: DeclarationProblem[] = [];
  readonly #doc: Document;
  readonly #lines: LineCounter;
  readonly #displayFile: string;

  constructor(file: string, doc: Document, lines: LineCounter, service: ServiceDeclaration) {
    this.file = file;
    this.dir = path.dirname(file);
    this.#doc = doc;
    this.#lines = lines;
    this.service = service;
    this.#displayFile = displayPath(file);
  }

  /** Records a problem at the node of `at` (or its key, for unknown keys). */
  report(at: readonly PathSegment[], message: string, atKey = false): void {
    const { line, column } = this.locate(at, atKey);
    const problem = { file: this.#displayFile, line, column, path: formatPath(at), message };
    // Two checks may find the same mistake (the declaration's schema and a plugin's options
    // schema both see `with: 3`); the user needs to read it once.
    if (this.problems.some((p) => p.line === line && p.column === column && p.path === problem.path && p.message === message)) return;
    this.problems.push(problem);
  }

  reportIssues(issues: SchemaIssue[]): void {
    for (const i of issues) this.report(i.path, i.message, i.atKey);
  }

  /** Line and column of the deepest existing node on `at`. */
  locate(at: readonly PathSegment[], atKey = false): { line: number; column: number } {
    let node: unknown = this.#doc.contents;
    let offset = rangeStart(node) ?? 0;
    for (let i = 0; i < at.length; i++) {
      const seg = at[i];
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg)) as Pair<Node, Node> | undefined;
        if (!pair) break;
        if (atKey && i === at.length - 1) {
          offset = rangeStart(pair.key) ?? offset;
          break;
        }
        node = pair.value;
        // `key:` with nothing after it: point at the key, not at the end of the line.
        const empty = isScalar(node) && node.value === null && node.range && node.range[0] === node.range[1];
        offset = (empty ? undefined : rangeStart(node)) ?? rangeStart(pair.key) ?? offset;
      } else if (isSeq(node) && typeof seg === 'number') {
        node = node.items[seg];
        offset = rangeStart(node) ?? offset;
      } else break;
    }
    const pos = this.#lines.linePos(offset);
    return { line: pos.line, column: pos.col };
  }

  /** Absolute path of a module named in the declaration (relative to this file). */
  resolveFrom(specifier: string): string {
    return specifier.startsWith('.') || path.isAbsolute(specifier) ? path.resolve(this.dir, specifier) : specifier;
  }

  throwIfProblems(): void {
    if (!this.problems.length) return;
    throw new DeclarationError([...this.problems].sort((a, b) => a.line - b.line || a.column - b.column));
  }
}

function rangeStart(node: unknown): number | undefined {
  const r = (node as { range?: [number, number, number] } | null)?.range;
  return r ? r[0] : undefined;
}

function displayPath(file: string): string {
  const rel = path.relative(process.cwd(), file);
  return rel && !rel.startsWith('..') ? rel : file;
}

const reference = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$\{([^}]*)\}?/g;

export type Env = Record<string, string | undefined>;

/**
 * Replaces ${VAR} and ${VAR:-default} in one scalar. A scalar that is exactly one reference
 * takes the type its text has in YAML (so `port: ${PORT:-3000}` is a number); `$${` is a
 * literal `${`.
 */
function interpolate(text: string, env: Env, onMissing: (msg: string) => void): unknown {
  let whole = true;
  const out = text.replace(reference, (match, name: string | undefined, fallback: string | undefined, _bad: string | undefined, offset: number) => {
    if (match === '$${') {
      whole = false;
      return '${';
    }
    if (offset !== 0 || match.length !== text.length) whole = false;
    if (name === undefined) {
      onMissing(`'${match}' is not a valid reference: write \${NAME} or \${NAME:-default}, NAME being letters, digits and _ and not starting with a digit; write $\${ for a literal \${`);
      return match;
    }
    const value = env[name];
    if (fallback !== undefined) return value === undefined || value === '' ? fallback : value;
    if (value === undefined) {
      onMissing(`environment variable ${name} is not set; set it, or give a default with \${${name}:-default}`);
      return match;
    }
    return value;
  });
  if (out === text || !whole) return out;
  // Only a canonical number or true/false changes type: "0123", "1e3", "" or "null" stay text,
  // so an identifier or a PIN from the environment keeps every character.
  if (out === 'true' || out === 'false') return out === 'true';
  const n = Number(out);
  return out.trim() !== '' && Number.isFinite(n) && String(n) === out ? n : out;
}

const absentReference = /^\$\{([A-Za-z_][A-Za-z0-9_]*):-\}$/;

/** A scalar that is exactly `${VAR:-}` with VAR unset or empty: the value is absent. */
function isAbsent(value: unknown, env: Env): boolean {
  const name = typeof value === 'string' ? absentReference.exec(value)?.[1] : undefined;
  return name !== undefined && (env[name] === undefined || env[name] === '');
}

/** The declaration used when none is named: ./service.yaml, else ./config/service.yaml. */
export function defaultDeclarationPath(cwd = process.cwd()): string {
  for (const candidate of ['service.yaml', 'config/service.yaml']) {
    if (existsSync(path.join(cwd, candidate))) return path.join(cwd, candidate);
  }
  return path.join(cwd, 'service.yaml');
}

/** Reads, interpolates and validates a declaration. Throws DeclarationError on YAML or schema mistakes. */
export async function loadDeclaration(file: string, env: Env = process.env): Promise<Declaration> {
  const absolute = path.resolve(file);
  let text: string;
  try {
    text = await readFile(absolute, 'utf8');
  } catch (err) {
    const shown = displayPath(absolute) === absolute ? absolute : `${displayPath(absolute)} (${absolute})`;
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'there is no such file' : (err as Error).message;
    throw new JararacaError(
      'JRR_DECLARATION_NOT_FOUND',
      `cannot read the service declaration ${shown}: ${reason}. Pass --config PATH, or run where ./service.yaml or ./config/service.yaml exists.`,
      { cause: err },
    );
  }
  return parseDeclaration(text, absolute, env);
}

export function parseDeclaration(text: string, file: string, env: Env = process.env): Declaration {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const display = displayPath(file);
  const problems: DeclarationProblem[] = [];
  for (const e of doc.errors) {
    const { offset, message } = explainYamlError(doc, lines, e);
    const pos = lines.linePos(offset);
    // The parser may report one mistake twice at the same place; once is enough.
    if (problems.some((p) => p.line === pos.line && p.column === pos.col)) continue;
    problems.push({ file: display, line: pos.line, column: pos.col, path: '', message: `YAML: ${message}` });
  }
  if (problems.length) throw new DeclarationError(problems);

  // Interpolate in place on the document's scalars, so positions stay known.
  visit(doc, {
    // `key: ${VAR:-}` with VAR unset or empty leaves the key out (a list item: the item), so an
    // optional option can come from the environment or not at all.
    Pair(_key, pair) {
      if (isScalar(pair.value) && isAbsent(pair.value.value, env)) return visit.REMOVE;
    },
    Scalar(key, node: Scalar) {
      if (typeof key === 'number' && isAbsent(node.value, env)) return visit.REMOVE;
      if (key === 'key' || typeof node.value !== 'string' || !node.value.includes('${')) return;
      node.value = interpolate(node.value, env, (message) => {
        const pos = lines.linePos(node.range?.[0] ?? 0);
        problems.push({ file: display, line: pos.line, column: pos.col, path: '', message });
      });
    },
  });

  const raw: unknown = doc.toJS({ maxAliasCount: 100 });
  const service = (raw ?? {}) as ServiceDeclaration;
  const decl = new Declaration(file, doc, lines, service);
  // Give interpolation problems their JSON path now that the Declaration can compute it.
  for (const p of problems) decl.problems.push({ ...p, path: pathAt(doc, lines, p.line, p.column) });

  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    const got = raw === null || raw === undefined ? 'the file is empty' : Array.isArray(raw) ? 'it is a list' : `it is ${describeValue(raw)}`;
    decl.report([], `the declaration must be a mapping of keys, starting with 'name: <service-name>', but ${got}`);
    decl.throwIfProblems();
  }
  // Compiled ahead of time from the same schema (scripts/gen-validator.ts): no ajv compile at start.
  const validate = validateService as unknown as ValidateFunction;
  if (!validate(service)) {
    // A value whose reference could not be resolved was already reported; its raw `${...}`
    // text failing the schema would only repeat that.
    const unresolved = new Set(decl.problems.map((p) => p.path));
    decl.reportIssues(schemaIssues(validate.errors, service).filter((i) => i.atKey || !unresolved.has(formatPath(i.path))));
  }
  return decl;
}

const yamlHints: Record<string, string> = {
  BAD_INDENT: 'check the indentation: the keys of one mapping must start in the same column',
  BLOCK_AS_IMPLICIT_KEY: 'check the indentation: the keys of one mapping must start in the same column, and a nested mapping goes on the lines below its key',
  MULTILINE_IMPLICIT_KEY: "a key must fit on one line and end with ':'; check for a missing ':' or wrong indentation",
  TAB_AS_INDENT: 'indent with spaces',
  BAD_ALIAS: 'define the anchor (&name) before using the alias (*name)',
};

/** Where a YAML error really is, and a message that says what to change. */
function explainYamlError(doc: Document, lines: LineCounter, e: YAMLError): { offset: number; message: string } {
  const base = e.message.split('\n')[0];
  let offset = e.pos[0];
  if (e.code === 'MISSING_CHAR' && /quote/.test(base)) {
    // The parser notices at the end of the file; the mistake is where the quote opened.
    visit(doc, {
      Scalar(_key, node) {
        if ((node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE') && node.range && node.range[1] === e.pos[0]) offset = node.range[0];
      },
    });
    const quote = base.includes('"') ? '"' : "'";
    return { offset, message: `this ${quote === '"' ? 'double' : 'single'}-quoted string is never closed: add the closing ${quote}` };
  }
  if (e.code === 'DUPLICATE_KEY') {
    let message = `${base}: remove one of the two`;
    visit(doc, {
      Map(_key, map) {
        const dup = map.items.find((p) => isScalar(p.key) && p.key.range?.[0] === e.pos[0]);
        if (!dup || !isScalar(dup.key)) return;
        const name = String(dup.key.value);
        const first = map.items.find((p) => isScalar(p.key) && String(p.key.value) === name);
        const firstAt = first && isScalar(first.key) && first.key.range ? first.key.range[0] : undefined;
        message = `key '${name}' appears twice in the same mapping` + (firstAt === undefined ? '' : ` (first on line ${lines.linePos(firstAt).line})`) + ': keep one';
        return visit.BREAK;
      },
    });
    return { offset, message };
  }
  if (e.code === 'MULTIPLE_DOCS') return { offset, message: "the file holds more than one YAML document ('---'): a declaration is one document; remove the '---' line and what follows it" };
  const hint = e.code ? yamlHints[e.code] : undefined;
  return { offset, message: hint ? `${base}; ${hint}` : base };
}

/** JSON path of the scalar at line:col, for messages about interpolation. */
function pathAt(doc: Document, lines: LineCounter, line: number, col: number): string {
  let found: PathSegment[] = [];
  visit(doc, {
    Scalar(key, node, ancestors) {
      if (key === 'key' || !node.range) return;
      const pos = lines.linePos(node.range[0]);
      if (pos.line !== line || pos.col !== col) return;
      const segs: PathSegment[] = [];
      for (let i = 1; i < ancestors.length; i++) {
        const a = ancestors[i];
        const parent = ancestors[i - 1];
        if (isPair(a) && isScalar(a.key)) segs.push(String(a.key.value));
        else if (isSeq(parent)) segs.push(parent.items.indexOf(a as never));
      }
      const parent = ancestors[ancestors.length - 1];
      if (isSeq(parent)) segs.push(parent.items.indexOf(node as never));
      found = segs;
      return visit.BREAK;
    },
  });
  return formatPath(found);
}
