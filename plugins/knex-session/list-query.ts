// Pagination, sorting and filtering from a query string, over allow-listed fields only:
//   ?page=2&pageSize=50&sort=-createdAt,title&status=done&title[contains]=milk&priority[in]=1,2
// page is 1-based; pageSize defaults to 20, at most 100. Anything not allowed is a 400 that
// says what is allowed: an unknown field or operator is never silently ignored.
import { HttpError } from 'jararaca';
import type { Knex } from 'knex';

export type FilterOperator = 'eq' | 'ne' | 'lt' | 'lte' | 'gt' | 'gte' | 'in' | 'contains' | 'startsWith' | 'isNull';
export type FieldType = 'string' | 'uuid' | 'number' | 'integer' | 'boolean' | 'date';
/** A field's type, or the values it may take (`{ enum: ['pending', 'done'] }`: a string out of them). */
export type FieldSpec = FieldType | { readonly enum: readonly string[] };

export interface Filter {
  field: string;
  op: FilterOperator;
  /** Parsed for the field's type; an array for `in`, a boolean for `isNull`. */
  value: unknown;
}

export interface SortSpec {
  field: string;
  direction: 'asc' | 'desc';
}

export interface ListQuery {
  /** 1-based. */
  page: number;
  pageSize: number;
  sort: SortSpec[];
  filters: Filter[];
}

export interface ListQueryOptions<F extends string = string> {
  /** Fields that may be filtered, with their type (which decides the operators and parses values). */
  filterable?: { readonly [K in F]?: FieldSpec };
  /** Fields that may be sorted on. */
  sortable?: readonly F[];
  /** Used when the query has no `sort`: `-createdAt` (descending) or `title,-id`. */
  defaultSort?: string;
  /** Default 20. */
  defaultPageSize?: number;
  /** Default 100. */
  maxPageSize?: number;
  /** Column of a field when the names differ (`createdAt` → `created_at`). */
  columns?: { readonly [K in F]?: string };
  /** Query keys that are not filters (the route's own parameters). */
  ignore?: readonly string[];
}

const ALL_OPERATORS: readonly FilterOperator[] = ['eq', 'ne', 'lt', 'lte', 'gt', 'gte', 'in', 'contains', 'startsWith', 'isNull'];
const OPERATORS: Record<FieldType, readonly FilterOperator[]> = {
  string: ALL_OPERATORS,
  uuid: ['eq', 'ne', 'in', 'isNull'],
  number: ['eq', 'ne', 'lt', 'lte', 'gt', 'gte', 'in', 'isNull'],
  integer: ['eq', 'ne', 'lt', 'lte', 'gt', 'gte', 'in', 'isNull'],
  date: ['eq', 'ne', 'lt', 'lte', 'gt', 'gte', 'in', 'isNull'],
  boolean: ['eq', 'ne', 'isNull'],
};
const ENUM_OPERATORS: readonly FilterOperator[] = ['eq', 'ne', 'in', 'isNull'];
const RESERVED = new Set(['page', 'pageSize', 'sort']);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_IN_VALUES = 100;

function bad(message: string): HttpError {
  return HttpError.badRequest(message);
}

function single(key: string, raw: unknown): string {
  if (Array.isArray(raw)) throw bad(`query parameter '${key}' is given ${raw.length} times; give it once`);
  return raw === undefined || raw === null ? '' : String(raw);
}

// What PostgreSQL cannot store or compare in text: NUL, and UTF-16 halves without their pair.
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
// timestamptz holds years 4713 BC to 294276 AD; JavaScript dates reach ±275760. Four-digit
// years are what ISO 8601 and every client mean.
const MIN_DATE = Date.parse('0001-01-01T00:00:00Z');
const MAX_DATE = Date.parse('9999-12-31T23:59:59.999Z');

function parseValue(field: string, spec: FieldSpec, text: string): unknown {
  if (UNSTORABLE.test(text)) throw bad(`filter '${field}': the value contains a NUL character or invalid Unicode`);
  if (typeof spec === 'object') {
    if (!spec.enum.includes(text)) throw bad(`filter '${field}': '${text}' is not one of ${spec.enum.join(', ')}`);
    return text;
  }
  const type = spec;
  switch (type) {
    case 'string':
      return text;
    case 'uuid':
      if (!UUID.test(text)) throw bad(`filter '${field}': '${text}' is not a UUID`);
      return text;
    case 'number':
    case 'integer': {
      const n = text.trim() === '' ? NaN : Number(text);
      if (!Number.isFinite(n) || (type === 'integer' && !Number.isInteger(n))) throw bad(`filter '${field}': '${text}' is not ${type === 'integer' ? 'an integer' : 'a number'}`);
      return n;
    }
    case 'boolean':
      if (text !== 'true' && text !== 'false') throw bad(`filter '${field}': '${text}' is not true or false`);
      return text === 'true';
    case 'date': {
      const t = Date.parse(text);
      if (Number.isNaN(t)) throw bad(`filter '${field}': '${text}' is not a date (use ISO 8601, e.g. 2024-05-01T12:00:00Z)`);
      if (t < MIN_DATE || t > MAX_DATE) throw bad(`filter '${field}': '${text}' is out of range (years 0001 to 9999)`);
      return new Date(t).toISOString();
    }
  }
}

function parseInteger(key: string, text: string, fallback: number, min: number, max: number): number {
  if (text === '') return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) throw bad(`'${key}' must be an integer from ${min} to ${max}, got '${text}'`);
  return n;
}

function parseSort(text: string, sortable: readonly string[]): SortSpec[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      const desc = s.startsWith('-');
      const field = s.replace(/^[-+]/, '');
      if (!sortable.includes(field)) throw bad(`cannot sort by '${field}'; sortable fields: ${sortable.join(', ') || 'none'}`);
      return { field, direction: desc ? 'desc' : 'asc' };
    });
}

/** Reads page, pageSize, sort and filters from a parsed query string. Throws HttpError(400). */
export function parseListQuery<F extends string>(query: Record<string, unknown> | URLSearchParams | undefined, options: ListQueryOptions<F> = {}): ListQuery {
  const entries: Array<[string, unknown]> =
    query instanceof URLSearchParams ? [...new Set(query.keys())].map((k) => [k, query.getAll(k).length > 1 ? query.getAll(k) : query.get(k)]) : Object.entries(query ?? {});
  // Own keys only: '__proto__', 'toString' or 'constructor' are query keys like any other.
  const filterable = (options.filterable ?? {}) as Record<string, FieldSpec | undefined>;
  const sortable = (options.sortable ?? []) as readonly string[];
  const maxPageSize = options.maxPageSize ?? 100;
  const ignore = new Set(options.ignore ?? []);
  const raw = new Map(entries);
  const result: ListQuery = {
    page: parseInteger('page', single('page', raw.get('page')), 1, 1, Number.MAX_SAFE_INTEGER),
    pageSize: parseInteger('pageSize', single('pageSize', raw.get('pageSize')), options.defaultPageSize ?? 20, 1, maxPageSize),
    sort: parseSort(raw.has('sort') ? single('sort', raw.get('sort')) : (options.defaultSort ?? ''), raw.has('sort') ? sortable : [...sortable, ...sortFields(options.defaultSort)]),
    filters: [],
  };
  for (const [key, value] of entries) {
    if (RESERVED.has(key) || ignore.has(key)) continue;
    const m = /^([A-Za-z_][\w.]*)(?:\[([A-Za-z]+)\])?$/.exec(key);
    const field = m?.[1] ?? key;
    const op = (m?.[2] ?? 'eq') as FilterOperator;
    const spec = m && Object.hasOwn(filterable, field) ? filterable[field] : undefined;
    if (!spec) {
      const allowed = Object.keys(filterable);
      throw bad(`unknown query parameter '${key}': filterable fields are ${allowed.join(', ') || 'none'}, plus page, pageSize and sort`);
    }
    const type: FieldType = typeof spec === 'object' ? 'string' : spec;
    const ops = typeof spec === 'object' ? ENUM_OPERATORS : OPERATORS[type];
    if (!ALL_OPERATORS.includes(op)) throw bad(`unknown filter operator '${op}' in '${key}'; operators: ${ALL_OPERATORS.join(', ')}`);
    if (!ops.includes(op)) throw bad(`operator '${op}' does not apply to '${field}' (${typeof spec === 'object' ? 'enum' : type}); use one of: ${ops.join(', ')}`);
    let parsed: unknown;
    if (op === 'in') {
      const parts = (Array.isArray(value) ? value.map(String) : String(value ?? '').split(',')).map((s) => s.trim()).filter((s) => s !== '');
      if (!parts.length) throw bad(`filter '${key}' needs at least one value (comma-separated)`);
      if (parts.length > MAX_IN_VALUES) throw bad(`filter '${key}' has ${parts.length} values; at most ${MAX_IN_VALUES}`);
      parsed = parts.map((p) => parseValue(field, spec, p));
    } else if (op === 'isNull') {
      const text = single(key, value);
      if (text !== '' && text !== 'true' && text !== 'false') throw bad(`filter '${key}' takes true or false, got '${text}'`);
      parsed = text !== 'false';
    } else {
      parsed = parseValue(field, spec, single(key, value));
    }
    result.filters.push({ field, op, value: parsed });
  }
  return result;
}

function sortFields(spec: string | undefined): string[] {
  return (spec ?? '').split(',').map((s) => s.trim().replace(/^[-+]/, '')).filter(Boolean);
}

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => '\\' + c);

/** Adds the filters (WHERE) and sort (ORDER BY) of `query` to `builder`; no LIMIT/OFFSET. */
const COMPARISONS = { lt: '<', lte: '<=', gt: '>', gte: '>=' } as const;

export function applyListQuery<B extends Knex.QueryBuilder>(builder: B, query: Pick<ListQuery, 'filters' | 'sort'>, columns: Readonly<Record<string, string | undefined>> = {}, table?: string): B {
  const col = (field: string) => {
    const c = columns[field] ?? field;
    return table && !c.includes('.') ? `${table}.${c}` : c;
  };
  for (const f of query.filters) {
    const c = col(f.field);
    switch (f.op) {
      case 'eq':
        builder.where(c, f.value as Knex.Value);
        break;
      case 'ne':
        // SQL's <> is unknown for NULL: "not equal to x" includes the rows where the field is null.
        builder.where((q) => q.whereNot(c, f.value as Knex.Value).orWhereNull(c));
        break;
      case 'lt':
      case 'lte':
      case 'gt':
      case 'gte':
        builder.where(c, COMPARISONS[f.op], f.value as Knex.Value);
        break;
      case 'in':
        builder.whereIn(c, f.value as Knex.Value[]);
        break;
      case 'contains':
        builder.whereRaw(`??::text ILIKE ? ESCAPE '\\'`, [c, `%${escapeLike(String(f.value))}%`]);
        break;
      case 'startsWith':
        builder.whereRaw(`??::text ILIKE ? ESCAPE '\\'`, [c, `${escapeLike(String(f.value))}%`]);
        break;
      case 'isNull':
        if (f.value) builder.whereNull(c);
        else builder.whereNotNull(c);
        break;
    }
  }
  for (const s of query.sort) builder.orderBy(col(s.field), s.direction);
  return builder;
}
