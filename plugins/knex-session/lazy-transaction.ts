// A knex transaction that sends BEGIN only when its first query runs. useSession() must return a
// Knex.Transaction synchronously, while knex opens one asynchronously (acquire, BEGIN): so the
// handler gets a transactor bound to a client whose acquireConnection() begins the real
// transaction first, then hands every query to it. An execution that never queries costs nothing.
import { createRequire } from 'node:module';
import type { Knex } from 'knex';

const require = createRequire(import.meta.url);
// knex does not export the function that turns a client into a callable knex object; its own
// transactions use it, and so does knex-pglite with other internals (knex is pinned to 3.x).
const makeKnex = require('knex/lib/knex-builder/make-knex.js') as (client: Knex.Client) => Knex;

export interface TransactionSettings {
  readOnly?: boolean;
  isolationLevel?: Knex.IsolationLevels;
}

type ClientInternals = Knex.Client & {
  transacting: boolean;
  _events: unknown;
  _eventsCount: number;
  acquireConnection(): Promise<unknown>;
  releaseConnection(connection: unknown): Promise<void>;
  query(connection: unknown, obj: unknown): Promise<unknown>;
  stream(connection: unknown, obj: unknown, stream: unknown, options: unknown): Promise<unknown>;
};

const FORWARDED_EVENTS = ['start', 'query-response', 'query-error'] as const;

export class LazyTransaction {
  readonly #knex: Knex;
  readonly #settings: TransactionSettings;
  #begin: Promise<Knex.Transaction> | undefined;
  #trx: Knex.Transaction | undefined;
  #transactor: Knex.Transaction | undefined;
  #closed = false;
  #failure: unknown;

  constructor(knex: Knex, settings: TransactionSettings = {}) {
    this.#knex = knex;
    this.#settings = settings;
  }

  /** True once BEGIN was sent (or is being sent). */
  get begun(): boolean {
    return this.#begin !== undefined;
  }

  /** Opens the real transaction (once). */
  begin(): Promise<Knex.Transaction> {
    if (this.#closed) return Promise.reject(new Error('this execution has ended: its database session was committed or rolled back; use withNewSession() for work after the execution'));
    this.#begin ??= this.#knex.transaction(this.#settings).then((trx) => {
      // knex completes a transaction whose connection broke; later queries then fail with
      // "Transaction query already complete". Keep the real cause so it can be reported.
      trx.executionPromise.catch((err: unknown) => (this.#failure ??= err));
      return (this.#trx = trx);
    });
    return this.#begin;
  }

  /** Why the real transaction ended early (a broken connection...), if it did. */
  get failure(): unknown {
    return this.#failure;
  }

  /** The Knex.Transaction handed to user code: queries through it join the real transaction. */
  transactor(): Knex.Transaction {
    return (this.#transactor ??= this.#makeTransactor());
  }

  /** Commits if BEGIN was sent. A failed COMMIT throws. */
  async commit(): Promise<void> {
    const trx = await this.#settle();
    if (!trx || trx.isCompleted()) return;
    await trx.commit();
    await trx.executionPromise;
  }

  /** Rolls back if BEGIN was sent. */
  async rollback(): Promise<void> {
    const trx = await this.#settle().catch(() => undefined);
    if (!trx || trx.isCompleted()) return;
    await trx.rollback();
    await trx.executionPromise.catch(() => undefined);
  }

  // Waits for a BEGIN in flight and closes the door to new ones.
  async #settle(): Promise<Knex.Transaction | undefined> {
    this.#closed = true;
    if (!this.#begin) return undefined;
    return this.#begin;
  }

  #makeTransactor(): Knex.Transaction {
    const base = this.#knex.client as ClientInternals;
    // Inherits dialect, config, compilers from the pool's client; own event listeners so that
    // makeKnex's listeners are dropped with this object instead of piling up on the pool's client.
    const client = Object.create(base) as ClientInternals;
    client._events = Object.create(null);
    client._eventsCount = 0;
    client.transacting = true;
    const active = () => (this.#trx as unknown as { client: ClientInternals }).client;
    client.acquireConnection = async () => {
      await this.begin();
      return active().acquireConnection();
    };
    client.releaseConnection = async () => undefined;
    client.query = (connection, obj) => active().query(connection, obj);
    client.stream = (connection, obj, stream, options) => active().stream(connection, obj, stream, options);
    for (const event of FORWARDED_EVENTS) client.on(event, (...args: unknown[]) => base.emit(event, ...args));

    const transactor = makeKnex(client) as Knex.Transaction & { context: Record<string, unknown> };
    const real = () => this.begin();
    // Nested transactions are savepoints of the real one, as in knex.
    transactor.context.transaction = (container?: (t: Knex.Transaction) => void | Promise<unknown>, config?: Knex.TransactionConfig) =>
      real().then((trx) => (container ? trx.transaction(container, config) : trx.transaction(config)));
    (transactor as { savepoint: unknown }).savepoint = transactor.context.transaction;
    Object.assign(transactor, {
      isTransaction: true,
      commit: (value?: unknown) => (this.#trx ? this.#trx.commit(value) : Promise.resolve()),
      rollback: (error?: unknown) => (this.#trx ? this.#trx.rollback(error) : Promise.resolve()),
      isCompleted: () => this.#closed || (this.#trx?.isCompleted() ?? false),
    });
    return transactor;
  }
}
