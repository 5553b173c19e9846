// Database failures a client cannot fix become 503s with a stable code, so the HTTP role answers
// "try again" instead of a bare 500, and the worker can tell a transient outage from a bug.
import { JararacaError } from 'jararaca';

/** The database is unreachable, or a connection broke mid-execution. Carries `statusCode: 503`. */
export class DatabaseUnavailableError extends JararacaError {
  readonly statusCode = 503;
  constructor(code: 'JRR_DB_UNAVAILABLE' | 'JRR_DB_POOL_TIMEOUT', message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** PostgreSQL refused a value (SQLSTATE class 22: NUL in text, a date out of range, bad syntax for a type). Carries `statusCode: 400`. */
export class InvalidValueError extends JararacaError {
  readonly statusCode = 400;
  constructor(message: string, options?: { cause?: unknown }) {
    super('JRR_DB_INVALID_VALUE', message, options);
  }
}

/** A useSession()/crud() call that cannot work here (no session for this handler, unknown connection...). */
export class SessionError extends JararacaError {}

// Node socket errors and PostgreSQL SQLSTATEs of class 08 (connection exception) and 57P0x
// (the server is shutting down / not accepting connections yet).
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', '57P01', '57P02', '57P03']);
const NETWORK_MESSAGES = /Connection terminated|connection is not queryable|Client has encountered a connection error|terminating connection|Client was closed|timeout expired/i;

export function isConnectionError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  // Already said: a pglite://memory database whose process is gone (pglite-memory.ts).
  if (err instanceof DatabaseUnavailableError && err.code === 'JRR_DB_UNAVAILABLE') return true;
  const code = (err as NodeJS.ErrnoException).code;
  if (code && (NETWORK_CODES.has(code) || code.startsWith('08'))) return true;
  if (err instanceof AggregateError && err.errors.some(isConnectionError)) return true;
  return NETWORK_MESSAGES.test(err.message);
}

export function isPoolTimeout(err: unknown): boolean {
  return err instanceof Error && err.name === 'KnexTimeoutError';
}

/** Maps a connectivity failure to a DatabaseUnavailableError; anything else is returned as is. */
export function mapDatabaseError(err: unknown, target: string, connection: string): unknown {
  if (err instanceof DatabaseUnavailableError) return err;
  if (isPoolTimeout(err)) {
    return new DatabaseUnavailableError(
      'JRR_DB_POOL_TIMEOUT',
      `no database connection became free in time (connection '${connection}'): every pooled connection is busy. ` +
        `Raise pool.max or pool.acquireTimeoutMs of the knex-session plugin, or make transactions shorter.`,
      { cause: err },
    );
  }
  // A value the client sent that the database cannot store or compare: the client's mistake.
  const sqlState = (err as { code?: unknown })?.code;
  if (err instanceof Error && typeof sqlState === 'string' && /^22[0-9A-Z]{3}$/.test(sqlState)) {
    return new InvalidValueError(`the database refused a value (SQLSTATE ${sqlState}): ${err.message.split('\n')[0].replace(/^.* - /, '')}`, { cause: err });
  }
  if (isConnectionError(err)) {
    // The message reaches HTTP clients (a 503 body): no host or driver detail there. The log
    // line of the failed request carries both, through `cause` and `target`.
    return Object.assign(new DatabaseUnavailableError('JRR_DB_UNAVAILABLE', `the database is unavailable (connection '${connection}'). Retry later.`, { cause: err }), { target, detail: describeCause(err) });
  }
  return err;
}

function describeCause(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (err instanceof AggregateError && err.errors[0]) return describeCause(err.errors[0]);
  return e.code && !e.message.includes(e.code) ? `${e.code} ${e.message}` : e.message;
}
