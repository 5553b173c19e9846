// The dead letters' index in PostgreSQL (knex-session's default connection on PostgreSQL): one
// row per dead letter, written by the worker process when it dead-letters a message (from the
// delivery channel), searched with SQL so a search over 100,000 stays fast (trigram indexes on
// the error and the body when pg_trgm is available). The queue stays the truth: when the index's
// count for a queue differs from the broker's (`jararaca-host dlq` acted, a worker crashed between
// the two writes), the console rebuilds that queue's rows from the queue before searching.
import { eventChannel, type DeadLetter, type DeliveryEvent, type PluginContext } from 'jararaca';
import type { Knex } from 'knex';

export const DEAD_LETTERS_TABLE = 'jararaca_console_dead_letters';
// A body longer than this is indexed cut (the full body is read from the queue when viewed).
const MAX_BODY = 64 * 1024;

/** A search of one handler's dead letters. Text matches are case-insensitive substrings. */
export interface DeadLetterQuery {
  error?: string;
  messageId?: string;
  /** failedAt bounds, ms. */
  from?: number;
  to?: number;
  body?: string;
}

export interface IndexedLetter extends DeadLetter {
  id: string;
}

/** The JS form of a query, for what the broker hands back (requeue and purge choose with it). */
export function matches(letter: DeadLetter, q: DeadLetterQuery): boolean {
  const has = (text: string | undefined, part: string | undefined) => !part || (text ?? '').toLowerCase().includes(part.toLowerCase());
  const at = letter.failedAt ? Date.parse(letter.failedAt) : NaN;
  if (q.messageId && letter.messageId !== q.messageId) return false;
  if ((q.from !== undefined || q.to !== undefined) && Number.isNaN(at)) return false;
  if (q.from !== undefined && at < q.from) return false;
  if (q.to !== undefined && at > q.to) return false;
  return has(letter.error, q.error) && has(letter.body, q.body);
}

const like = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

export class DeadLetterIndex {
  #ready: Promise<void> | undefined;
  readonly #pending: Array<Record<string, unknown>> = [];
  #flushing: Promise<void> | undefined;

  constructor(
    readonly knex: Knex,
    readonly service: string,
    private readonly logger: PluginContext<unknown>['logger'],
  ) {}

  /** knex-session's default connection, when it is PostgreSQL. */
  static of(ctx: Pick<PluginContext<unknown>, 'capability' | 'service' | 'logger'>): DeadLetterIndex | undefined {
    const knex = ctx.capability<Knex>('knex:default');
    const dialect = (knex?.client as { dialect?: string } | undefined)?.dialect;
    return knex && dialect === 'postgresql' ? new DeadLetterIndex(knex, ctx.service.name, ctx.logger) : undefined;
  }

  ready(): Promise<void> {
    this.#ready ??= this.#create().catch((err: unknown) => {
      this.#ready = undefined;
      throw err;
    });
    return this.#ready;
  }

  async #create(): Promise<void> {
    // Replicas start together: one creates, the others wait (concurrent CREATE IF NOT EXISTS can collide).
    await this.knex.transaction(async (trx) => {
      await trx.raw('SELECT pg_advisory_xact_lock(hashtext(?))', [DEAD_LETTERS_TABLE]);
      await trx.raw(`CREATE TABLE IF NOT EXISTS ${DEAD_LETTERS_TABLE} (
        id bigserial PRIMARY KEY, service text NOT NULL, queue text NOT NULL, message_id text NOT NULL DEFAULT '',
        name text, topic text, error text NOT NULL DEFAULT '', attempts integer, failed_at timestamptz NOT NULL,
        body text NOT NULL, headers jsonb NOT NULL DEFAULT '{}')`);
      await trx.raw(`CREATE INDEX IF NOT EXISTS ${DEAD_LETTERS_TABLE}_by_time ON ${DEAD_LETTERS_TABLE} (service, queue, failed_at DESC, id DESC)`);
      await trx.raw(`CREATE INDEX IF NOT EXISTS ${DEAD_LETTERS_TABLE}_by_id ON ${DEAD_LETTERS_TABLE} (service, queue, message_id)`);
    });
    // Substring search on error and body: trigram indexes, when the extension may be created.
    try {
      await this.knex.transaction(async (trx) => {
        await trx.raw('SELECT pg_advisory_xact_lock(hashtext(?))', [DEAD_LETTERS_TABLE]);
        await trx.raw('CREATE EXTENSION IF NOT EXISTS pg_trgm');
        await trx.raw(`CREATE INDEX IF NOT EXISTS ${DEAD_LETTERS_TABLE}_error_trgm ON ${DEAD_LETTERS_TABLE} USING gin (error gin_trgm_ops)`);
        await trx.raw(`CREATE INDEX IF NOT EXISTS ${DEAD_LETTERS_TABLE}_body_trgm ON ${DEAD_LETTERS_TABLE} USING gin (body gin_trgm_ops)`);
      });
    } catch (err) {
      this.logger.info({ err }, 'console: pg_trgm not available; dead-letter text search scans the rows');
    }
  }

  /** Worker processes: a row per message dead-lettered, written in small batches. */
  listen(): void {
    eventChannel('jararaca:message-bus:delivery').subscribe(this.#onDelivery);
  }

  unlisten(): Promise<void> {
    eventChannel('jararaca:message-bus:delivery').unsubscribe(this.#onDelivery);
    return this.#flushing ?? Promise.resolve();
  }

  readonly #onDelivery = (e: DeliveryEvent) => {
    if (e.outcome !== 'dead-lettered' || !e.deadLetter) return;
    this.#pending.push(this.row(e.queue, { messageId: e.messageId, name: e.deadLetter.name, topic: e.deadLetter.topic, error: e.error, attempts: e.deadLetter.attempts, failedAt: new Date().toISOString(), body: e.deadLetter.body.toString('utf8'), headers: e.deadLetter.headers }));
    this.#flushing ??= this.#flush();
  };

  async #flush(): Promise<void> {
    try {
      await this.ready();
      while (this.#pending.length) await this.knex(DEAD_LETTERS_TABLE).insert(this.#pending.splice(0, 500));
    } catch (err) {
      // The count check repairs the index from the queue when it is next searched.
      this.#pending.length = 0;
      this.logger.warn({ err }, 'console: dead letters not indexed (rebuilt from the queue on the next search)');
    } finally {
      this.#flushing = undefined;
    }
  }

  row(queue: string, l: DeadLetter): Record<string, unknown> {
    return {
      service: this.service,
      queue,
      message_id: l.messageId ?? '',
      name: l.name ?? null,
      topic: l.topic ?? null,
      error: l.error ?? '',
      attempts: l.attempts ?? null,
      failed_at: l.failedAt && !Number.isNaN(Date.parse(l.failedAt)) ? new Date(l.failedAt) : new Date(),
      body: l.body.length > MAX_BODY ? l.body.slice(0, MAX_BODY) : l.body,
      headers: JSON.stringify(l.headers ?? {}),
    };
  }

  async count(queue: string): Promise<number> {
    await this.ready();
    const [{ n }] = await this.knex(DEAD_LETTERS_TABLE).where({ service: this.service, queue }).count({ n: '*' });
    return Number(n);
  }

  /** Replaces a queue's rows by what the queue holds now. */
  async rebuild(queue: string, letters: readonly DeadLetter[]): Promise<void> {
    await this.ready();
    await this.knex.transaction(async (trx) => {
      await trx(DEAD_LETTERS_TABLE).where({ service: this.service, queue }).del();
      for (let i = 0; i < letters.length; i += 500) await trx(DEAD_LETTERS_TABLE).insert(letters.slice(i, i + 500).map((l) => this.row(queue, l)));
    });
  }

  async search(queue: string, q: DeadLetterQuery, limit: number, offset: number): Promise<{ total: number; letters: IndexedLetter[] }> {
    await this.ready();
    const where = (b: Knex.QueryBuilder) => {
      b.where({ service: this.service, queue });
      if (q.error) b.whereILike('error', like(q.error));
      if (q.messageId) b.where('message_id', q.messageId);
      if (q.from !== undefined) b.where('failed_at', '>=', new Date(q.from));
      if (q.to !== undefined) b.where('failed_at', '<=', new Date(q.to));
      if (q.body) b.whereILike('body', like(q.body));
      return b;
    };
    const [[{ n }], rows] = await Promise.all([
      where(this.knex(DEAD_LETTERS_TABLE)).count({ n: '*' }),
      where(this.knex(DEAD_LETTERS_TABLE)).select('*').orderBy([{ column: 'failed_at', order: 'desc' }, { column: 'id', order: 'desc' }]).limit(limit).offset(offset),
    ]);
    return {
      total: Number(n),
      letters: (rows as Array<Record<string, unknown>>).map((r) => ({
        id: String(r.id),
        messageId: (r.message_id as string) || undefined,
        name: (r.name as string | null) ?? undefined,
        topic: (r.topic as string | null) ?? undefined,
        error: (r.error as string) || undefined,
        attempts: (r.attempts as number | null) ?? undefined,
        failedAt: (r.failed_at as Date).toISOString(),
        body: r.body as string,
        headers: (typeof r.headers === 'string' ? JSON.parse(r.headers) : r.headers) as Record<string, unknown>,
      })),
    };
  }

  /** After a requeue or purge: the rows of the letters that left the queue. */
  async remove(queue: string, messageIds: readonly string[]): Promise<void> {
    await this.ready();
    for (let i = 0; i < messageIds.length; i += 1000) await this.knex(DEAD_LETTERS_TABLE).where({ service: this.service, queue }).whereIn('message_id', messageIds.slice(i, i + 1000)).del();
  }
}
