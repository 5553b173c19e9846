// knex and its pool (tarn) log through console by default: plain text with stack traces on
// stderr, one line per failed acquire during an outage, outside JSON and redaction. This routes
// them through the plugin's pino logger, collapsed when they repeat (the connectivity probe
// already reports an outage once, in its own words).
import { RepeatedLog } from 'jararaca';
import type { Knex } from 'knex';
import type { Logger } from 'pino';

export function knexLog(logger: Logger): NonNullable<Knex.Config['log']> {
  const repeated = new RepeatedLog(logger);
  const text = (message: unknown) => (typeof message === 'string' ? message : message instanceof Error ? message.message : JSON.stringify(message));
  // The first line says what happened; the stack of a driver's socket error helps nobody here.
  const firstLine = (message: unknown) => text(message).split('\n')[0];
  return {
    warn: (message: unknown) => {
      const line = firstLine(message);
      if (line.startsWith('Acquire connection error')) return logger.debug({ source: 'knex' }, line);
      repeated.warn(`knex.warn:${line.slice(0, 80)}`, { source: 'knex' }, line);
    },
    error: (message: unknown) => {
      const line = firstLine(message);
      repeated.error(`knex.error:${line.slice(0, 80)}`, { source: 'knex' }, line);
    },
    deprecate: (method: unknown, alternative: unknown) => repeated.warn(`knex.deprecate:${String(method)}`, { source: 'knex' }, `knex: ${String(method)} is deprecated, use ${String(alternative)}`),
    debug: (message: unknown) => logger.debug({ source: 'knex' }, firstLine(message)),
  };
}
