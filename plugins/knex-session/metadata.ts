// Per-handler session settings, declared with @SetMetadata so interceptors of any plugin can read them.
import { SetMetadata } from 'jararaca';
import type { Knex } from 'knex';

export const SESSION_METADATA = Symbol.for('jararaca.knex-session');

export interface SessionMetadata {
  /** No transaction for this handler: useSession() throws. */
  none?: boolean;
  /** `BEGIN TRANSACTION READ ONLY`: writes fail with a database error. */
  readOnly?: boolean;
  isolationLevel?: Knex.IsolationLevels;
}

/** Options for this handler's session (on a class: every handler of it; a method's wins). */
export const SessionOptions = (options: SessionMetadata) => SetMetadata(SESSION_METADATA, options);

/** The handler's transaction is read-only (`BEGIN TRANSACTION READ ONLY`). */
export const ReadOnly = () => SessionOptions({ readOnly: true });

/** The handler gets no transaction; useSession() throws in it. For health probes, proxies, streaming. */
export const NoSession = () => SessionOptions({ none: true });

/** The handler's transaction runs at this isolation level (`BEGIN TRANSACTION ISOLATION LEVEL ...`). */
export const IsolationLevel = (isolationLevel: Knex.IsolationLevels) => SessionOptions({ isolationLevel });
