// useSession() and withNewSession(): each execution gets one lazy transaction per declared
// connection; the knex-session interceptor commits or rolls it back when the execution ends.
import { AsyncLocalStorage } from 'node:async_hooks';
import { currentExecution, defineHook, type Execution } from 'jararaca';
import type { Knex } from 'knex';
import { isConnectionError, mapDatabaseError, SessionError } from './errors.ts';
import { LazyTransaction } from './lazy-transaction.ts';

/** A declared connection, registered by the plugin's setup for this process. */
export interface ConnectionState {
  readonly name: string;
  readonly knex: Knex;
  /** host:port or pglite target, for messages. */
  readonly target: string;
  /** Called when a query failed because the database went away (starts the reconnect probe). */
  onConnectionLost(err: unknown): void;
  /** Run after the first successful probe (after migrations), before the connection reports ready. */
  readonly schemaSteps: Array<(knex: Knex) => Promise<void>>;
  /** Run by knex-session's stop(), before the pool closes. */
  readonly stopSteps: Array<(knex: Knex) => Promise<void>>;
  /** True once the schema steps ran. */
  initialized: boolean;
}

// Connections by owner (each host's root container): several hosts in one process (the test
// kit) each declare their own 'default'. Inside an execution its own host's connection is used.
const connections = new Map<object, Map<string, ConnectionState>>();
const executionConnections = defineHook<Map<string, ConnectionState>>({ name: 'knex-session connections', plugin: 'knex-session' });

export function registerConnection(owner: object, state: ConnectionState): void {
  let own = connections.get(owner);
  if (!own) connections.set(owner, (own = new Map()));
  if (own.has(state.name)) throw new SessionError('JRR_SESSION_DUPLICATE_CONNECTION', `two knex-session plugins declare the connection '${state.name}': give each a different 'connection' name`);
  own.set(state.name, state);
}

export function unregisterConnection(owner: object, name: string): void {
  const own = connections.get(owner);
  own?.delete(name);
  if (own?.size === 0) connections.delete(owner);
}

/** Called by the connection's interceptor: code in this execution uses this host's connection. */
export function useConnectionIn(execution: Execution, state: ConnectionState): void {
  let own = executionConnections.peek(execution);
  if (!own) executionConnections.provide(execution, (own = new Map()));
  own.set(state.name, state);
}

/**
 * The connection `name` of this execution's host; outside an execution, of the host whose root
 * container is `owner` (a plugin passes its ctx.container), else the only host that declares it.
 */
export function connectionState(name: string, owner?: object): ConnectionState {
  const execution = currentExecution();
  const own = (execution ? executionConnections.peek(execution)?.get(name) : undefined) ?? (owner ? connections.get(owner)?.get(name) : undefined);
  if (own) return own;
  const found = [...connections.values()].flatMap((m) => m.get(name) ?? []);
  if (found.length === 1) return found[0];
  if (found.length > 1) {
    throw new SessionError(
      'JRR_SESSION_AMBIGUOUS_CONNECTION',
      `${found.length} hosts in this process declare the connection '${name}': call this inside an execution of the host you mean (a handler, or host.run() of the test kit)`,
    );
  }
  const known = [...new Set([...connections.values()].flatMap((m) => [...m.keys()]))];
  throw new SessionError(
    'JRR_SESSION_UNKNOWN_CONNECTION',
    `no knex-session plugin declares the connection '${name}'` +
      (known.length ? ` (declared: ${known.join(', ')}); add one with 'connection: ${name}' under interceptors in service.yaml` : `; add '- use: knex-session' under interceptors in service.yaml`),
  );
}

/** What an execution holds per connection: its lazy transaction, or why it has none. */
export type ExecutionSessions = Map<string, LazyTransaction | { none: string }>;

const sessionsHook = defineHook<ExecutionSessions>({ name: 'useSession', plugin: 'knex-session' });

export function sessionsOf(execution: Execution): ExecutionSessions {
  let sessions = sessionsHook.peek(execution);
  if (!sessions) sessionsHook.provide(execution, (sessions = new Map()));
  return sessions;
}

// withNewSession(fn) makes useSession() inside fn return its own transaction.
const overrides = new AsyncLocalStorage<ReadonlyMap<string, Knex.Transaction>>();

/**
 * The current execution's transaction on `connection` (default 'default'). It begins on its
 * first query, commits when the execution succeeds and rolls back when anything inside throws.
 * Do not keep it beyond the execution.
 */
export function useSession(connection = 'default'): Knex.Transaction {
  const override = overrides.getStore()?.get(connection);
  if (override) return override;
  const sessions = sessionsHook();
  const session = sessions.get(connection);
  if (session instanceof LazyTransaction) return session.transactor();
  if (session) throw new SessionError('JRR_NO_SESSION', session.none);
  connectionState(connection); // throws naming the declared connections
  const execution = currentExecution();
  throw new SessionError(
    'JRR_NO_SESSION',
    `useSession('${connection}') has no transaction in ${execution?.handler.name ?? 'this execution'}: the knex-session plugin for '${connection}' must be listed before any interceptor that calls useSession()`,
  );
}

/**
 * Runs `fn` in its own transaction on `connection`, independent of the execution's: committed
 * when `fn` resolves (even if the execution later fails), rolled back if it throws. Inside `fn`,
 * useSession(connection) returns this transaction. Works outside executions too (start-up code).
 * On the embedded engine (one connection) do not call it while the execution's own transaction
 * is open: it would wait for that connection until the acquire timeout.
 */
export async function withNewSession<T>(fn: (trx: Knex.Transaction) => Promise<T> | T, connection = 'default'): Promise<T> {
  const state = connectionState(connection);
  try {
    return await state.knex.transaction<T>(async (trx) => {
      const map = new Map(overrides.getStore() ?? []);
      map.set(connection, trx);
      return overrides.run(map, async () => fn(trx));
    });
  } catch (err) {
    const mapped = mapDatabaseError(err, state.target, connection);
    // A pool timeout means every connection is busy, not that the database went away.
    if (isConnectionError(err)) state.onConnectionLost(err);
    throw mapped;
  }
}

/**
 * Runs `fn` (idempotent DDL: a plugin's own tables) once the connection first answers, after its
 * migrations and before it reports ready; at once if that already happened. Call it from a
 * plugin's start(), which runs before knex-session's when the plugin is listed before it.
 */
export async function whenConnected(connection: string, fn: (knex: Knex) => Promise<void>, owner?: object): Promise<void> {
  const state = connectionState(connection, owner);
  if (state.initialized) await fn(state.knex);
  else state.schemaSteps.push(fn);
}

/**
 * Runs `fn` when knex-session stops, before its pool closes (plugins stop in reverse order, so
 * one listed before knex-session would otherwise find the pool gone): a last flush of pending work.
 */
export function beforeDisconnect(connection: string, fn: (knex: Knex) => Promise<void>, owner?: object): void {
  connectionState(connection, owner).stopSteps.push(fn);
}

/** The knex instance of a connection (pooled, not transactional): for code outside executions. */
export function useKnex(connection = 'default', owner?: object): Knex {
  return connectionState(connection, owner).knex;
}
