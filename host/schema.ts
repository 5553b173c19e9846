// JSON Schema validation shared by the declaration and by plugins' options: one ajv instance,
// schemas compiled once, and ajv's errors turned into messages that say what to change.
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';

export type JsonSchema = Record<string, unknown> | boolean;
export type PathSegment = string | number;

let shared: Ajv2020 | undefined;

/** The host's ajv: all errors, defaults filled in, `tsType` allowed for type generation. */
export function sharedAjv(): Ajv2020 {
  if (!shared) {
    shared = new Ajv2020({ allErrors: true, useDefaults: true, verbose: true, strict: false });
    shared.addKeyword({ keyword: 'tsType', schemaType: 'string' });
    shared.addKeyword({ keyword: 'x-exactly-one-of', schemaType: 'array' });
  }
  return shared;
}

const compiled = new WeakMap<object, ValidateFunction>();

/** Compiles a schema once and caches the validator by schema object identity. */
export function compileSchema(schema: JsonSchema): ValidateFunction {
  if (typeof schema === 'boolean') return sharedAjv().compile(schema);
  let fn = compiled.get(schema);
  if (!fn) {
    fn = sharedAjv().compile(schema);
    compiled.set(schema, fn);
  }
  return fn;
}

/** `interceptors[2].with.url`, `providers["my-token"]` */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

function parsePointer(pointer: string, data: unknown): PathSegment[] {
  if (!pointer) return [];
  const out: PathSegment[] = [];
  let node: unknown = data;
  for (const raw of pointer.slice(1).split('/')) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const key: PathSegment = Array.isArray(node) && /^\d+$/.test(seg) ? Number(seg) : seg;
    out.push(key);
    node = node !== null && typeof node === 'object' ? (node as Record<PathSegment, unknown>)[key] : undefined;
  }
  return out;
}

export interface SchemaIssue {
  /** Where to point: for an unknown key, the key itself. */
  path: PathSegment[];
  /** Point at the key rather than the value (unknown keys). */
  atKey: boolean;
  message: string;
}

function closest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestScore = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestScore) {
      bestScore = d;
      best = c;
    }
  }
  return bestScore <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length];
}

function describe(e: ErrorObject): string {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties': {
      const allowed = Object.keys((e.parentSchema?.properties as object | undefined) ?? {});
      const key = String(p.additionalProperty);
      const guess = closest(key, allowed);
      return `unknown key '${key}'` + (guess ? ` (did you mean '${guess}'?)` : '') + (allowed.length ? `; allowed: ${allowed.join(', ')}` : '');
    }
    case 'required':
      return `missing required key '${String(p.missingProperty)}'`;
    case 'enum':
      return `must be one of: ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'const':
      return `must be ${JSON.stringify(p.allowedValue)}`;
    case 'type':
      return `must be ${String(p.type)}`;
    case 'pattern': {
      const description = e.parentSchema?.description;
      return `must match the pattern ${String(p.pattern)}` + (typeof description === 'string' ? ` (${description})` : '');
    }
    case 'propertyNames':
      return `key '${String(p.propertyName)}' is not allowed here`;
    default:
      return e.message ?? 'is invalid';
  }
}

/**
 * Turns ajv's errors into one issue per mistake. A schema object whose `oneOf` means "exactly
 * one of these keys" says so with `x-exactly-one-of`; the branch errors of that `oneOf` are
 * collapsed into one line naming the keys.
 */
export function schemaIssues(errors: readonly ErrorObject[] | null | undefined, data: unknown, basePath: readonly PathSegment[] = []): SchemaIssue[] {
  const issues: SchemaIssue[] = [];
  const seen = new Set<string>();
  for (const e of errors ?? []) {
    const p = e.params as Record<string, unknown>;
    let path = [...basePath, ...parsePointer(e.instancePath, data)];
    let atKey = false;
    let message: string;
    const group = (e.parentSchema as Record<string, unknown> | undefined)?.['x-exactly-one-of'];
    if (e.keyword === 'oneOf' && Array.isArray(group)) {
      message = `needs exactly one of: ${group.join(', ')}`;
    } else if (/\/oneOf\/\d+\/required$/.test(e.schemaPath)) {
      continue; // a branch of a oneOf: the oneOf error itself says it better
    } else {
      message = describe(e);
      if (e.keyword === 'additionalProperties') {
        path = [...path, String(p.additionalProperty)];
        atKey = true;
      } else if (e.keyword === 'propertyNames') {
        path = [...path, String(p.propertyName)];
        atKey = true;
      }
    }
    const key = formatPath(path) + '|' + message;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push({ path, atKey, message });
  }
  return issues;
}
