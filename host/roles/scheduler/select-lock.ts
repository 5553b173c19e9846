// Picks where replicas coordinate: scheduler.lock (redis://, postgres://, memory://), else the
// PostgreSQL of a declared knex-session plugin (capability `knex:default`), else in process.
// Drivers are imported only when used.
import { JararacaError } from '../../core/errors.ts';
import { redactUrl } from '../../core/logger.ts';
import type { Clock } from './clock.ts';
import type { SchedulerLock } from './lock.ts';
import { MemoryLock } from './memory-lock.ts';

/** The part of a knex instance the lock uses (the knex-session plugin's `knex:default`). */
export interface KnexLike {
  client: { config: { client?: unknown } };
  raw(sql: string, bindings: readonly unknown[]): PromiseLike<unknown>;
}

export interface LockChoice {
  lock: SchedulerLock;
  /** Why this backend, for the start-up log. */
  reason: string;
}

const PG_CLIENTS = new Set(['pg', 'postgres', 'postgresql']);

export async function selectLock(options: { url?: string; service: string; clock: Clock; knex?: KnexLike }): Promise<LockChoice> {
  const { url, service, clock, knex } = options;
  if (url) {
    const scheme = url.split(':', 1)[0].toLowerCase();
    if (scheme === 'redis' || scheme === 'rediss') {
      const { RedisLock } = await import('./redis-lock.ts');
      return { lock: new RedisLock(url, service), reason: 'scheduler.lock' };
    }
    if (scheme === 'postgres' || scheme === 'postgresql') {
      const [{ default: pg }, { PostgresLock, toNumberedParams }] = await Promise.all([import('pg'), import('./postgres-lock.ts')]);
      const pool = new pg.Pool({ connectionString: url, max: 4 });
      pool.on('error', () => undefined); // an idle client's lost connection; the next query reports it
      return {
        lock: new PostgresLock({
          service,
          where: redactUrl(url),
          run: async (sql, params) => (await pool.query(toNumberedParams(sql), [...params])).rows,
          onClose: () => pool.end(),
        }),
        reason: 'scheduler.lock',
      };
    }
    if (scheme === 'memory') return { lock: new MemoryLock(clock), reason: 'scheduler.lock' };
    throw new JararacaError('JRR_SCHEDULER_LOCK', `scheduler.lock '${redactUrl(url)}' is not supported: use redis://..., postgres://... or memory://`);
  }
  if (knex && PG_CLIENTS.has(String(knex.client.config.client))) {
    const { PostgresLock } = await import('./postgres-lock.ts');
    return {
      lock: new PostgresLock({
        service,
        where: 'the knex-session database',
        run: async (sql, params) => ((await knex.raw(sql, params)) as { rows: Array<Record<string, unknown>> }).rows,
      }),
      reason: 'knex-session on PostgreSQL',
    };
  }
  return { lock: new MemoryLock(clock), reason: 'no scheduler.lock and no knex-session on PostgreSQL' };
}
