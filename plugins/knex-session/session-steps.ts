// Work other plugins join to an execution's transaction on one connection: the message bus
// writes its outbox rows just before COMMIT, and records a message in its inbox right after the
// transaction is set up. A plugin listed before knex-session (an outer layer) registers a step
// before calling next(); knex-session runs it inside the transaction, so it commits or rolls
// back with everything the handler wrote.
import type { Execution } from 'jararaca';
import type { Knex } from 'knex';

/** Runs inside the transaction after every inner layer succeeded, just before COMMIT. May query through `trx`. */
export type BeforeCommitStep = (trx: Knex.Transaction) => Promise<void> | void;

/**
 * Runs inside the transaction before the inner layers. Resolving to `false` skips them: the
 * handler does not run, and the transaction (with what the step wrote) commits.
 */
export type SessionStartStep = (trx: Knex.Transaction) => Promise<boolean | void> | boolean | void;

export interface SessionSteps {
  readonly start: SessionStartStep[];
  readonly beforeCommit: BeforeCommitStep[];
}

const STEPS = Symbol('knex-session.steps');

function stepsMap(execution: Execution, create: boolean): Map<string, SessionSteps> | undefined {
  let map = execution.getLocal<Map<string, SessionSteps>>(STEPS);
  if (!map && create) execution.setLocal(STEPS, (map = new Map()));
  return map;
}

function steps(execution: Execution, connection: string): SessionSteps {
  const map = stepsMap(execution, true)!;
  let s = map.get(connection);
  if (!s) map.set(connection, (s = { start: [], beforeCommit: [] }));
  return s;
}

/**
 * Runs `fn` in `execution`'s transaction on `connection` just before it commits (only when the
 * execution succeeded). Register it before the knex-session layer for that connection finishes
 * (from an outer interceptor, before or after next()). A throw rolls the transaction back and
 * fails the execution. Not run for a handler marked @NoSession().
 */
export function onBeforeCommit(execution: Execution, connection: string, fn: BeforeCommitStep): void {
  steps(execution, connection).beforeCommit.push(fn);
}

/**
 * Runs `fn` in `execution`'s transaction on `connection` as soon as the knex-session layer is
 * reached, before the inner layers; `false` skips them (see SessionStartStep). Register it from
 * an interceptor listed before knex-session, before calling next(). The transaction begins for
 * it (a BEGIN even if the handler never queries). Not run for a handler marked @NoSession().
 */
export function onSessionStart(execution: Execution, connection: string, fn: SessionStartStep): void {
  steps(execution, connection).start.push(fn);
}

/** The steps registered for a connection (knex-session's intercept reads them). */
export function stepsOf(execution: Execution, connection: string): SessionSteps | undefined {
  return stepsMap(execution, false)?.get(connection);
}
