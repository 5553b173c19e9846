// CRUD and paginated listing on one table, through the execution's transaction (useSession()),
// so a repository built on it can be a singleton provider and still join each request's
// transaction. Typed by the row shape the API returns.
import { HttpError } from 'jararaca';
import type { Knex } from 'knex';
import { applyListQuery, parseListQuery, type ListQuery, type ListQueryOptions } from './list-query.ts';
import { useSession } from './session.ts';

type Row = object;

export interface CrudOptions<R extends Row> extends ListQueryOptions<keyof R & string> {
  /** Primary key field (default 'id'). */
  id?: keyof R & string;
  /** The knex-session connection (default 'default'). */
  connection?: string;
  /** Every field of R and its column, when some differ (`createdAt: 'created_at'`): rows come back with the field names. */
  columns?: { readonly [K in keyof R & string]: string };
}

export interface Page<T> {
  items: T[];
  /** Rows matching the filters, over all pages. */
  total: number;
  /** 1-based. */
  page: number;
  pageSize: number;
}

export class Crud<R extends Row> {
  readonly table: string;
  readonly options: CrudOptions<R>;
  readonly #id: string;
  readonly #selection: string[] | string;

  constructor(table: string, options: CrudOptions<R> = {}) {
    this.table = table;
    this.options = options;
    this.#id = this.column(options.id ?? 'id');
    const columns = options.columns as Record<string, string> | undefined;
    this.#selection = columns ? Object.entries(columns).map(([field, column]) => (field === column ? column : `${column} as ${field}`)) : '*';
  }

  /** The execution's transaction. */
  get db(): Knex.Transaction {
    return useSession(this.options.connection);
  }

  /** SELECT of this table's fields, in the execution's transaction: add your own conditions. */
  query(): Knex.QueryBuilder<R, R[]> {
    return this.db(this.table).select(this.#selection) as unknown as Knex.QueryBuilder<R, R[]>;
  }

  column(field: string): string {
    return (this.options.columns as Record<string, string> | undefined)?.[field] ?? field;
  }

  #toColumns(values: Partial<R>): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [field, value] of Object.entries(values)) if (value !== undefined) out[this.column(field)] = value;
    return out;
  }

  async create(values: Partial<R>): Promise<R> {
    const [row] = (await this.db(this.table).insert(this.#toColumns(values)).returning(this.#returning())) as R[];
    return row;
  }

  async get(id: unknown): Promise<R | undefined> {
    return (await this.query().where(this.#id, id as Knex.Value).first()) as R | undefined;
  }

  /** The row, or HttpError 404 `<table> <id> not found`. */
  async getOrFail(id: unknown, message?: string): Promise<R> {
    const row = await this.get(id);
    if (!row) throw HttpError.notFound(message ?? `${this.table} ${String(id)} not found`);
    return row;
  }

  async exists(id: unknown): Promise<boolean> {
    return (await this.db(this.table).where(this.#id, id as Knex.Value).first(this.db.raw('1 as found'))) !== undefined;
  }

  /** Updates the given fields; the updated row, or undefined when no row has this id. */
  async update(id: unknown, patch: Partial<R>): Promise<R | undefined> {
    const values = this.#toColumns(patch);
    if (!Object.keys(values).length) return this.get(id);
    const [row] = (await this.db(this.table).where(this.#id, id as Knex.Value).update(values).returning(this.#returning())) as R[];
    return row;
  }

  /** True when a row was deleted. */
  async delete(id: unknown): Promise<boolean> {
    // RETURNING, not the affected-row count: knex-pglite reports no count for a DELETE.
    const deleted: unknown = await this.db(this.table).where(this.#id, id as Knex.Value).del([this.#id]);
    return Array.isArray(deleted) ? deleted.length > 0 : Number(deleted) > 0;
  }

  /**
   * One page of rows. `query` is a request's query string (parsed with this table's allow-lists,
   * so a bad field or operator is a 400) or an already parsed ListQuery. `scope` narrows the rows
   * further (tenant, owner...).
   */
  async list(query: Record<string, unknown> | URLSearchParams | ListQuery | undefined, scope?: (builder: Knex.QueryBuilder) => void): Promise<Page<R>> {
    const q = isListQuery(query) ? query : parseListQuery(query, this.options);
    const columns = (this.options.columns ?? {}) as Record<string, string>;
    const base = this.db(this.table);
    scope?.(base);
    applyListQuery(base, { filters: q.filters, sort: [] }, columns);
    const counted = (await base.clone().count({ total: '*' }).first()) as { total: string | number } | undefined;
    const page = base.clone().select(this.#selection);
    applyListQuery(page, { filters: [], sort: q.sort }, columns);
    // A unique last sort key keeps pages stable when sorted values repeat.
    if (!q.sort.some((s) => this.column(s.field) === this.#id)) page.orderBy(this.#id, 'asc');
    const items = (await page.limit(q.pageSize).offset((q.page - 1) * q.pageSize)) as R[];
    return { items, total: Number(counted?.total ?? 0), page: q.page, pageSize: q.pageSize };
  }

  #returning(): string[] {
    return typeof this.#selection === 'string' ? [this.#selection] : this.#selection;
  }
}

function isListQuery(value: unknown): value is ListQuery {
  return typeof value === 'object' && value !== null && Array.isArray((value as ListQuery).filters) && Array.isArray((value as ListQuery).sort) && typeof (value as ListQuery).page === 'number';
}

/** CRUD and pagination helpers for `table`, in the execution's transaction. */
export function crud<R extends Row>(table: string, options: CrudOptions<R> = {}): Crud<R> {
  return new Crud<R>(table, options);
}
