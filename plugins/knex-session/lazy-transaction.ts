// A knex transaction that sends BEGIN only when its first query runs. useSession() must return a
// Knex.Transaction synchronously, while knex opens one asynchronously (acquire, BEGIN): so the
// handler gets a transactor bound to a client whose acquireConnection() begins the real
// transaction first, then hands every query to it. An execution that never queries costs nothing.
//
// Cost: knex's makeKnex() puts ~140 fresh closures on every knex object it makes (plus event
// listeners), which per execution was most of this plugin's CPU time and garbage. So makeKnex runs
// once per connection, for a shared prototype, and each execution's transactor is a small callable
// inheriting from it, with its own context, client and the few execution-bound functions.
import { createRequire } from 'node:module';
import { tracingChannel, type TransactionEvent } from 'jararaca';
import type { Knex } from 'knex';
import { SessionError } from './errors.ts';

// BEGIN … COMMIT/ROLLBACK for observability plugins: start (and end) when BEGIN is sent,
// asyncStart/asyncEnd when the transaction settled (error before them when COMMIT failed).
const transactions = tracingChannel('jararaca:session:transaction');

const require = createRequire(import.meta.url);
// knex does not export the function that turns a client into a callable knex object; its own
// transactions use it, and so does knex-pglite with other internals (knex is pinned to 3.x).
let makeKnex: ((client: Knex.Client) => Knex) | undefined; // on first use: see createKnex

export interface TransactionSettings {
  readOnly?: boolean;
  isolationLevel?: Knex.IsolationLevels;
}

type EventArgs = unknown[];

interface ClientInternals extends Knex.Client {
  transacting: boolean;
  _events: unknown;
  _eventsCount: number;
  acquireConnection(): Promise<unknown>;
  releaseConnection(connection: unknown): Promise<void>;
  query(connection: unknown, obj: unknown): Promise<unknown>;
  stream(connection: unknown, obj: unknown, stream: unknown, options: unknown): Promise<unknown>;
  emit(event: string | symbol, ...args: EventArgs): boolean;
}

/** One execution's client: inherits the connection's lazy client, knows its execution's objects. */
interface LazyClient extends ClientInternals {
  [OWNER]: LazyTransaction;
  [TRANSACTOR]: TransactorInternals;
}

interface ContextInternals {
  client: ClientInternals;
  userParams: Record<string, unknown>;
  queryBuilder(): Knex.QueryBuilder;
  transaction: unknown;
  withUserParams: unknown;
}

type TransactorInternals = Knex.Transaction & {
  context: ContextInternals;
  _events: unknown;
  _eventsCount: number;
  emit(event: string | symbol, ...args: EventArgs): boolean;
};

const OWNER = Symbol('knex-session.lazyTransaction');
const TRANSACTOR = Symbol('knex-session.transactor');
// Events a query emits on its builder's client. The pool's client hears these three (as it did
// from knex's own transactions); the transactor hears all four, like any knex object.
const FORWARDED_EVENTS: ReadonlySet<string | symbol> = new Set(['start', 'query-response', 'query-error']);
const KNEX_EVENTS: ReadonlySet<string | symbol> = new Set(['start', 'query', 'query-response', 'query-error']);

/** What every transactor of one connection shares: made once, on the connection's first use. */
interface Shared {
  client: ClientInternals;
  knex: TransactorInternals;
}
const sharedByKnex = new WeakMap<Knex, Shared>();

function sharedOf(knex: Knex): Shared {
  let shared = sharedByKnex.get(knex);
  if (!shared) sharedByKnex.set(knex, (shared = makeShared(knex.client as ClientInternals)));
  return shared;
}

function makeShared(base: ClientInternals): Shared {
  // Inherits dialect, config, compilers, pool from the pool's client.
  const client = Object.create(base) as ClientInternals;
  const emitOwn = base.emit;
  Object.assign(client, {
    transacting: true,
    // Not async, and no await once BEGIN is done: every promise is slowed by AsyncLocalStorage.
    acquireConnection(this: LazyClient) {
      const owner = this[OWNER];
      return owner.open ? owner.activeClient().acquireConnection() : owner.begin().then(acquireFromTransaction);
    },
    releaseConnection() {
      return RELEASED;
    },
    query(this: LazyClient, connection: unknown, obj: unknown) {
      return this[OWNER].activeClient().query(connection, obj);
    },
    stream(this: LazyClient, connection: unknown, obj: unknown, stream: unknown, options: unknown) {
      return this[OWNER].activeClient().stream(connection, obj, stream, options);
    },
    // Replaces per-execution listeners: the pool's client first, then the transactor, then any
    // listener added to this client itself.
    emit(this: LazyClient, event: string | symbol, ...args: EventArgs): boolean {
      if (!KNEX_EVENTS.has(event)) return emitOwn.call(this, event, ...args);
      if (FORWARDED_EVENTS.has(event)) base.emit(event, ...args);
      this[TRANSACTOR].emit(event, ...args);
      emitOwn.call(this, event, ...args);
      return true;
    },
  });
  makeKnex ??= require('knex/lib/knex-builder/make-knex.js') as (client: Knex.Client) => Knex;
  const knex = makeKnex(client) as TransactorInternals & { _internalListeners: unknown[] };
  // Drop the listeners makeKnex put on the shared client (emit above does their job per
  // execution), and give each client and transactor its own listeners, made on first `on()`.
  client._events = undefined;
  client._eventsCount = 0;
  knex._internalListeners = [];
  knex._events = undefined;
  knex._eventsCount = 0;
  (knex as { isTransaction: boolean }).isTransaction = true;
  // As on knex's own transactions: user params come from the main knex instance.
  knex.context.withUserParams = () => {
    throw new SessionError('JRR_SESSION_USER_PARAMS', 'Cannot set user params on a transaction - it can only inherit params from main knex instance');
  };
  return { client, knex };
}

const RELEASED: Promise<void> = Promise.resolve();
const acquireFromTransaction = (trx: Knex.Transaction) => (trx.client as ClientInternals).acquireConnection();

// knex's own body of a knex object called as a function (`trx('users')`).
function createQueryBuilder(context: ContextInternals, tableName?: Knex.TableDescriptor, options?: unknown): Knex.QueryBuilder {
  const qb = context.queryBuilder();
  if (!tableName) context.client.logger.warn?.('calling knex without a tableName is deprecated. Use knex.queryBuilder() instead.');
  return tableName ? (qb.table as (t: Knex.TableDescriptor, o?: unknown) => Knex.QueryBuilder)(tableName, options) : qb;
}

export class LazyTransaction {
  readonly #knex: Knex;
  readonly #settings: TransactionSettings;
  #begin: Promise<Knex.Transaction> | undefined;
  #trx: Knex.Transaction | undefined;
  #transactor: Knex.Transaction | undefined;
  #closed = false;
  #failure: unknown;
  readonly #connection: string;
  #event: TransactionEvent | undefined;

  constructor(knex: Knex, settings: TransactionSettings = {}, connection = 'default') {
    this.#knex = knex;
    this.#settings = settings;
    this.#connection = connection;
  }

  /** True once BEGIN was sent (or is being sent). */
  get begun(): boolean {
    return this.#begin !== undefined;
  }

  /** Opens the real transaction (once). */
  begin(): Promise<Knex.Transaction> {
    if (this.#closed) return Promise.reject(new SessionError('JRR_SESSION_ENDED', 'this execution has ended: its database session was committed or rolled back; use withNewSession() for work after the execution'));
    if (!this.#begin && transactions.hasSubscribers) this.#traceStart();
    this.#begin ??= this.#knex.transaction(this.#settings).then((trx) => {
      // knex completes a transaction whose connection broke; later queries then fail with
      // "Transaction query already complete". Keep the real cause so it can be reported.
      trx.executionPromise.catch((err: unknown) => (this.#failure ??= err));
      return (this.#trx = trx);
    });
    return this.#begin;
  }

  /** True while BEGIN is done and the execution has not ended: queries may go straight on. */
  get open(): boolean {
    return this.#trx !== undefined && !this.#closed;
  }

  /** The real transaction's client (after BEGIN): where queries go. */
  activeClient(): ClientInternals {
    return (this.#trx as Knex.Transaction).client as ClientInternals;
  }

  /** Why the real transaction ended early (a broken connection...), if it did. */
  get failure(): unknown {
    return this.#failure;
  }

  /** The Knex.Transaction handed to user code: queries through it join the real transaction. */
  transactor(): Knex.Transaction {
    return (this.#transactor ??= this.#makeTransactor());
  }

  /** Ends an execution that never sent BEGIN: later queries fail instead of starting one. */
  close(): void {
    this.#closed = true;
  }

  /** Commits if BEGIN was sent. A failed COMMIT throws. */
  commit(): Promise<void> {
    const trx = this.#trx;
    // BEGIN done (the usual case): no await on it. The execution promise settles once COMMIT
    // has run, rejecting if it failed.
    if (trx) {
      this.#closed = true;
      if (trx.isCompleted()) {
        this.#traceEnd('rollback');
        return RELEASED;
      }
      void trx.commit();
      if (this.#event) trx.executionPromise.then(() => this.#traceEnd('commit'), (err: unknown) => this.#traceEnd('rollback', err));
      return trx.executionPromise as unknown as Promise<void>;
    }
    const begin = this.#settle();
    return begin ? begin.then(() => this.commit()) : RELEASED;
  }

  /** Rolls back if BEGIN was sent. */
  async rollback(): Promise<void> {
    const trx = await this.#settle()?.catch(() => undefined);
    if (!trx || trx.isCompleted()) return this.#traceEnd('rollback');
    await trx.rollback();
    await trx.executionPromise.catch(() => undefined);
    this.#traceEnd('rollback');
  }

  #traceStart(): void {
    const event: TransactionEvent = (this.#event = { connection: this.#connection });
    transactions.start.publish(event);
    transactions.end.publish(event);
  }

  // Once per transaction that was traced; `error` when COMMIT failed.
  #traceEnd(outcome: 'commit' | 'rollback', error?: unknown): void {
    const event = this.#event;
    if (!event) return;
    this.#event = undefined;
    event.outcome = outcome;
    if (error !== undefined) transactions.error.publish(Object.assign(event, { error }));
    transactions.asyncStart.publish(event);
    transactions.asyncEnd.publish(event);
  }

  // Waits for a BEGIN in flight and closes the door to new ones.
  #settle(): Promise<Knex.Transaction> | undefined {
    this.#closed = true;
    return this.#begin;
  }

  #makeTransactor(): Knex.Transaction {
    const shared = sharedOf(this.#knex);
    const client = Object.create(shared.client) as LazyClient;
    client[OWNER] = this;
    const context = Object.create(shared.knex.context) as ContextInternals;
    context.client = client;
    context.userParams = {};
    const transactor = function knex(tableName?: Knex.TableDescriptor, options?: unknown) {
      return createQueryBuilder(transactor.context, tableName, options);
    } as unknown as TransactorInternals;
    Object.setPrototypeOf(transactor, shared.knex);
    transactor.context = context;
    transactor._events = undefined;
    transactor._eventsCount = 0;
    client[TRANSACTOR] = transactor;
    const real = () => this.begin();
    // Nested transactions are savepoints of the real one, as in knex.
    context.transaction = (container?: (t: Knex.Transaction) => void | Promise<unknown>, config?: Knex.TransactionConfig) =>
      real().then((trx) => (container ? trx.transaction(container, config) : trx.transaction(config)));
    Object.assign(transactor, {
      savepoint: context.transaction,
      commit: (value?: unknown) => (this.#trx ? this.#trx.commit(value) : Promise.resolve()),
      rollback: (error?: unknown) => (this.#trx ? this.#trx.rollback(error) : Promise.resolve()),
      isCompleted: () => this.#closed || (this.#trx?.isCompleted() ?? false),
    });
    return transactor;
  }
}
