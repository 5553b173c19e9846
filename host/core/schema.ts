// JSON Schema validation shared by the declaration and by plugins' options: one ajv instance,
// schemas compiled once, and ajv's errors turned into messages that say what to change.
import { Ajv } from 'ajv';
import { Ajv2020, type AnySchema, type ErrorObject, type Options as AjvOptions, type ValidateFunction } from 'ajv/dist/2020.js';
import ajvFormats from 'ajv-formats';
import { JararacaError } from './errors.ts';
import { redactUrl } from './logger.ts';
import { validate as draft7MetaSchemaValidator } from './meta-schema-draft7-validator.generated.ts';
import { validate as metaSchemaValidator } from './meta-schema-validator.generated.ts';

// The generated modules are untyped (@ts-nocheck): their shape is a ValidateFunction's.
const validateMetaSchema = metaSchemaValidator as unknown as ValidateFunction;
const validateDraft7MetaSchema = draft7MetaSchemaValidator as unknown as ValidateFunction;

export type JsonSchema = Record<string, unknown> | boolean;
export type PathSegment = string | number;

let shared: Ajv2020 | undefined;

export const META_SCHEMA_2020 = 'https://json-schema.org/draft/2020-12/schema';

/**
 * Checks schemas against their meta-schema (JSON Schema 2020-12 for the host's instances,
 * draft-07 for the HTTP role's route validators, as Fastify's) with the meta-schema's validator
 * compiled ahead of time (`npm run gen`, scripts/gen-validator.ts): each ajv instance would
 * otherwise compile it at its first schema (~30–120 ms of a start, per instance). A schema
 * naming another `$schema` is checked by ajv as usual.
 */
// `any[]`: TypeScript's mixin pattern needs it. Ajv2020 stands for both classes (draft-07's Ajv has its shape).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function withPrecompiledMeta<A extends new (...args: any[]) => Ajv2020>(Base: A, metaSchema: string, validateMeta: ValidateFunction): A {
  return class extends Base {
    override validateSchema(schema: AnySchema, throwOrLogError?: boolean): boolean | Promise<unknown> {
      if (typeof schema === 'boolean' || ((schema as { $schema?: unknown }).$schema ?? metaSchema) !== metaSchema) return super.validateSchema(schema, throwOrLogError);
      const valid = validateMeta(schema);
      this.errors = valid ? null : (validateMeta.errors ?? null);
      if (!valid && throwOrLogError) {
        const message = `schema is invalid: ${this.errorsText(this.errors)}`;
        if (this.opts.validateSchema === 'log') this.logger.error(message);
        else throw new JararacaError('JRR_SCHEMA_INVALID', message);
      }
      return valid;
    }
  };
}

const PrecompiledMetaAjv = withPrecompiledMeta(Ajv2020, META_SCHEMA_2020, validateMetaSchema);

export const META_SCHEMA_DRAFT7 = 'http://json-schema.org/draft-07/schema';

const PrecompiledMetaDraft7Ajv = withPrecompiledMeta(Ajv, META_SCHEMA_DRAFT7, validateDraft7MetaSchema);

/** An ajv for JSON Schema draft-07 (Fastify's routes), its meta-schema's validator precompiled; `precompiledMetaSchema: false` for the generator. */
export function createDraft7Ajv(options: AjvOptions & { precompiledMetaSchema?: boolean } = {}): Ajv {
  const { precompiledMetaSchema = true, ...ajvOptions } = options;
  return precompiledMetaSchema ? new PrecompiledMetaDraft7Ajv(ajvOptions) : new Ajv(ajvOptions);
}

/**
 * An ajv for JSON Schema 2020-12 with the standard formats (uuid, date-time, email...) and the
 * annotation keywords our schemas carry. Plugins use it for their own validators.
 */
export function createAjv(options: AjvOptions & { /** false: ajv's own meta-schema validation (for the generator). */ precompiledMetaSchema?: boolean } = {}): Ajv2020 {
  const { precompiledMetaSchema = true, ...ajvOptions } = options;
  const settings = { allErrors: true, verbose: true, strict: false, ...ajvOptions };
  const ajv = precompiledMetaSchema ? new PrecompiledMetaAjv(settings) : new Ajv2020(settings);
  // ajv-formats is CommonJS: under NodeNext its function is the default export's `default`.
  ajvFormats.default(ajv);
  ajv.addKeyword({ keyword: 'tsType', schemaType: 'string' });
  ajv.addKeyword({ keyword: 'x-exactly-one-of', schemaType: 'array' });
  ajv.addKeyword({ keyword: 'patternErrorMessage', schemaType: 'string' });
  return ajv;
}

/** The host's ajv (declaration, plugin options, message payloads): all errors, defaults filled in. */
export function sharedAjv(): Ajv2020 {
  return (shared ??= createAjv({ useDefaults: true }));
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

/** The candidate nearest to `word` by edit distance, when it is near enough to be a typo. */
export function closest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestScore = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestScore) {
      bestScore = d;
      best = c;
    }
  }
  return bestScore <= Math.max(2, Math.floor(word.length / 3)) && bestScore < word.length ? best : undefined;
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

const typeNames: Record<string, string> = {
  object: 'a mapping',
  array: 'a list',
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'true or false',
  null: 'empty',
};

/** How a value reads in a message: `the string "abc"`, `a list`, `-1`. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  // The value is echoed to help find it; a URL's password never is.
  if (typeof value === 'string') return `the string ${JSON.stringify(redactUrl(value))}`;
  return String(value);
}

function expectedType(type: unknown): string {
  const types = Array.isArray(type) ? type : String(type).split(',');
  return types.map((t) => typeNames[String(t)] ?? String(t)).join(' or ');
}

function describe(e: ErrorObject): string {
  const p = e.params as Record<string, unknown>;
  const parent = (e.parentSchema ?? {}) as Record<string, unknown>;
  const got = ` (got ${describeValue(e.data)})`;
  switch (e.keyword) {
    case 'additionalProperties': {
      const allowed = Object.keys((parent.properties as object | undefined) ?? {});
      const key = String(p.additionalProperty);
      const guess = closest(key, allowed);
      return `unknown key '${key}'` + (guess ? ` (did you mean '${guess}'?)` : '') + (allowed.length ? `; allowed: ${allowed.join(', ')}` : '; remove it');
    }
    case 'required': {
      const key = String(p.missingProperty);
      const description = ((parent.properties as Record<string, Record<string, unknown>> | undefined)?.[key])?.description;
      return `missing required key '${key}'` + (typeof description === 'string' ? ` (${description})` : '');
    }
    case 'enum': {
      const allowed = p.allowedValues as unknown[];
      const guess = typeof e.data === 'string' ? closest(e.data, allowed.filter((v): v is string => typeof v === 'string')) : undefined;
      return `must be one of: ${allowed.map((v) => JSON.stringify(v)).join(', ')}${got}` + (guess ? ` (did you mean ${JSON.stringify(guess)}?)` : '');
    }
    case 'const':
      return `must be ${JSON.stringify(p.allowedValue)}${got}`;
    case 'type': {
      // A quoted number in YAML is a string: say how to fix it.
      const quoted = typeof e.data === 'string' && /^-?\d+(\.\d+)?$/.test(e.data) && /integer|number/.test(String(p.type));
      return `must be ${expectedType(p.type)}${got}` + (quoted ? '; remove the quotes' : '');
    }
    case 'minimum':
      return `must be at least ${String(p.limit)}${got}`;
    case 'maximum':
      return `must be at most ${String(p.limit)}${got}`;
    case 'exclusiveMinimum':
      return `must be greater than ${String(p.limit)}${got}`;
    case 'exclusiveMaximum':
      return `must be less than ${String(p.limit)}${got}`;
    case 'minLength':
      return p.limit === 1 ? 'must not be empty' : `must be at least ${String(p.limit)} characters long${got}`;
    case 'maxLength':
      return `must be at most ${String(p.limit)} characters long (got ${String((e.data as string).length)})`;
    case 'minItems':
      return p.limit === 1 ? 'must not be an empty list' : `must have at least ${String(p.limit)} items`;
    case 'maxItems':
      return `must have at most ${String(p.limit)} items`;
    case 'pattern': {
      // `patternErrorMessage` is the annotation VS Code's and yaml-language-server's schema
      // support shows too, so editors and the host say the same thing.
      const custom = parent.patternErrorMessage;
      if (typeof custom === 'string') return `${custom}${got}`;
      const description = parent.description;
      return `must match the pattern ${String(p.pattern)}${got}` + (typeof description === 'string' ? `: ${description}` : '');
    }
    default:
      return e.message ?? 'is invalid';
  }
}

/** The message of a propertyNames failure, from the propertyNames schema's annotations. */
function describeKey(e: ErrorObject): string {
  const names = ((e.parentSchema as Record<string, unknown> | undefined)?.propertyNames ?? {}) as Record<string, unknown>;
  const hint = names.patternErrorMessage ?? names.description;
  return `key '${String((e.params as Record<string, unknown>).propertyName)}' is not allowed here` + (typeof hint === 'string' ? `: ${hint}` : '');
}

/** `x-exactly-one-of` groups: say which keys are missing or clash. */
function describeExactlyOne(group: string[], data: unknown): string {
  const present = data !== null && typeof data === 'object' ? group.filter((k) => k in (data as object)) : [];
  if (present.length > 1) return `has ${present.map((k) => `'${k}'`).join(' and ')}: keep exactly one of ${group.join(', ')}`;
  return `needs exactly one of: ${group.join(', ')}`;
}

/**
 * Turns ajv's errors into one issue per mistake. A schema object whose `oneOf` means "exactly
 * one of these keys" says so with `x-exactly-one-of`; the branch errors of that `oneOf` are
 * collapsed into one line naming the keys.
 */
export function schemaIssues(errors: readonly ErrorObject[] | null | undefined, data: unknown, basePath: readonly PathSegment[] = []): SchemaIssue[] {
  const issues: SchemaIssue[] = [];
  const seen = new Set<string>();
  // A value of the wrong type makes every other complaint about it noise.
  const wrongType = new Set((errors ?? []).filter((e) => e.keyword === 'type').map((e) => e.instancePath));
  for (const e of errors ?? []) {
    const p = e.params as Record<string, unknown>;
    if (e.keyword !== 'type' && wrongType.has(e.instancePath)) continue;
    if (e.propertyName !== undefined) continue; // inside propertyNames: the propertyNames error says it
    if (e.keyword === 'if') continue; // 'must match "then" schema': the then/else branch's own errors say what
    let path = [...basePath, ...parsePointer(e.instancePath, data)];
    let atKey = false;
    let message: string;
    const group = (e.parentSchema as Record<string, unknown> | undefined)?.['x-exactly-one-of'];
    if (e.keyword === 'oneOf' && Array.isArray(group)) {
      message = describeExactlyOne(group.map(String), e.data);
    } else if (/\/oneOf\/\d+\/required$/.test(e.schemaPath)) {
      continue; // a branch of a oneOf: the oneOf error itself says it better
    } else if (e.keyword === 'propertyNames') {
      path = [...path, String(p.propertyName)];
      atKey = true;
      message = describeKey(e);
    } else {
      message = describe(e);
      if (e.keyword === 'additionalProperties') {
        path = [...path, String(p.additionalProperty)];
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
