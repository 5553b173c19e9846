// The scheduler's PostgreSQL lock, provided by this plugin (capability SCHEDULER_LOCK_CAPABILITY).
// Slot claims: one row per (service, action, slot), inserted with
// ON CONFLICT DO NOTHING and only when no newer slot of that action was fired; the rows are
// also a history of fires. Leases: one row per key with an expiry read from the database's own
// clock (replicas' clocks may differ). Works on its own small pool (scheduler.lock: postgres://...)
// or, with no scheduler.lock, on this plugin's knex when it is PostgreSQL (PGlite is one
// process's database: no lock across replicas).
import { randomUUID } from 'node:crypto';
import { JararacaError, redactUrl, SCHEDULER_LOCK_CAPABILITY, type ActionPause, type ActionRun, type HistoryRetention, type Lease, type SchedulerLock, type SchedulerLockProvider } from 'jararaca';
import { createRequire } from 'node:module';
import type { Knex } from 'knex';
import type { Engine } from './engine.ts';

/** Runs SQL with `?` placeholders. */
export type SqlRunner = (sql: string, params: readonly unknown[]) => Promise<Array<Record<string, unknown>>>;

const FIRES = 'jararaca_scheduler_fires';
const LEASES = 'jararaca_scheduler_leases';
// The console's history of runs and pause flags (optional members of SchedulerLock).
const RUNS = 'jararaca_scheduler_runs';
const PAUSES = 'jararaca_scheduler_pauses';
// Keeps a day of history (and always the latest fire of each action, which claims compare to).
const RETENTION = "interval '1 day'";
const CLEANUP_EVERY_MS = 60 * 60 * 1000;

export class PostgresLock implements SchedulerLock {
  readonly kind = 'postgres';
  readonly where: string;
  readonly #run: SqlRunner;
  readonly #service: string;
  readonly #owner = randomUUID();
  readonly #onClose: () => Promise<void>;
  #lastCleanup = 0;

  constructor(options: { run: SqlRunner; service: string; where: string; onClose?: () => Promise<void> }) {
    this.#run = options.run;
    this.#service = options.service;
    this.where = options.where;
    this.#onClose = options.onClose ?? (async () => {});
  }

  async open(): Promise<void> {
    // Replicas start together: serialize the CREATEs (concurrent CREATE TABLE IF NOT EXISTS can
    // still collide on the catalog) with a transaction-scoped advisory lock.
    await this.#run(
      `DO $$ BEGIN
         PERFORM pg_advisory_xact_lock(hashtext('${FIRES}'));
         CREATE TABLE IF NOT EXISTS ${FIRES} (
           service text NOT NULL, action text NOT NULL, slot timestamptz NOT NULL,
           owner text NOT NULL, fired_at timestamptz NOT NULL DEFAULT clock_timestamp(),
           PRIMARY KEY (service, action, slot));
         CREATE TABLE IF NOT EXISTS ${LEASES} (
           service text NOT NULL, key text NOT NULL, owner text NOT NULL, expires_at timestamptz NOT NULL,
           PRIMARY KEY (service, key));
         CREATE TABLE IF NOT EXISTS ${RUNS} (
           id bigserial PRIMARY KEY, service text NOT NULL, action text NOT NULL, slot timestamptz NOT NULL,
           run jsonb NOT NULL, recorded_at timestamptz NOT NULL DEFAULT clock_timestamp());
         CREATE INDEX IF NOT EXISTS ${RUNS}_by_action ON ${RUNS} (service, action, id DESC);
         CREATE TABLE IF NOT EXISTS ${PAUSES} (
           service text NOT NULL, action text NOT NULL, pause jsonb NOT NULL,
           PRIMARY KEY (service, action));
       END $$`,
      [],
    );
  }

  async claim(action: string, slot: number): Promise<boolean> {
    const at = new Date(slot).toISOString();
    const rows = await this.#run(
      `INSERT INTO ${FIRES} (service, action, slot, owner)
       SELECT ?, ?, ?::timestamptz, ?
       WHERE NOT EXISTS (SELECT 1 FROM ${FIRES} WHERE service = ? AND action = ? AND slot >= ?::timestamptz)
       ON CONFLICT DO NOTHING RETURNING slot`,
      [this.#service, action, at, this.#owner, this.#service, action, at],
    );
    if (rows.length) void this.#cleanup();
    return rows.length === 1;
  }

  async acquire(key: string, ttlMs: number): Promise<Lease | undefined> {
    const token = randomUUID();
    const rows = await this.#run(
      `INSERT INTO ${LEASES} AS l (service, key, owner, expires_at)
       VALUES (?, ?, ?, clock_timestamp() + ? * interval '1 millisecond')
       ON CONFLICT (service, key) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
       WHERE l.expires_at < clock_timestamp()
       RETURNING owner`,
      [this.#service, key, token, ttlMs],
    );
    if (rows.length !== 1) return undefined;
    return {
      renew: async () =>
        (
          await this.#run(
            `UPDATE ${LEASES} SET expires_at = clock_timestamp() + ? * interval '1 millisecond'
             WHERE service = ? AND key = ? AND owner = ? RETURNING owner`,
            [ttlMs, this.#service, key, token],
          )
        ).length === 1,
      release: async () => {
        await this.#run(`DELETE FROM ${LEASES} WHERE service = ? AND key = ? AND owner = ?`, [this.#service, key, token]);
      },
    };
  }

  async recordRun(run: ActionRun, retention: HistoryRetention): Promise<void> {
    await this.#run(`INSERT INTO ${RUNS} (service, action, slot, run) VALUES (?, ?, ?::timestamptz, ?::jsonb)`, [this.#service, run.action, new Date(run.slot).toISOString(), JSON.stringify(run)]);
    // Keeps the newest `perAction` rows that are younger than maxAgeMs (one indexed statement).
    await this.#run(
      `DELETE FROM ${RUNS} WHERE service = ? AND action = ? AND (recorded_at < clock_timestamp() - ? * interval '1 millisecond'
         OR id <= (SELECT id FROM ${RUNS} WHERE service = ? AND action = ? ORDER BY id DESC OFFSET ? LIMIT 1))`,
      [this.#service, run.action, retention.maxAgeMs, this.#service, run.action, retention.perAction],
    );
  }

  async runs(action: string, options: { limit: number; before?: number }): Promise<ActionRun[]> {
    const rows = await this.#run(
      `SELECT run FROM ${RUNS} WHERE service = ? AND action = ? ${options.before === undefined ? '' : 'AND slot < ?::timestamptz'} ORDER BY id DESC LIMIT ?`,
      [this.#service, action, ...(options.before === undefined ? [] : [new Date(options.before).toISOString()]), options.limit],
    );
    return rows.map((r) => r.run as ActionRun);
  }

  async setPaused(action: string, pause: ActionPause | undefined): Promise<void> {
    if (pause) {
      await this.#run(`INSERT INTO ${PAUSES} (service, action, pause) VALUES (?, ?, ?::jsonb) ON CONFLICT (service, action) DO UPDATE SET pause = excluded.pause`, [this.#service, action, JSON.stringify(pause)]);
    } else {
      await this.#run(`DELETE FROM ${PAUSES} WHERE service = ? AND action = ?`, [this.#service, action]);
    }
  }

  async pauses(): Promise<Record<string, ActionPause>> {
    const rows = await this.#run(`SELECT action, pause FROM ${PAUSES} WHERE service = ?`, [this.#service]);
    return Object.fromEntries(rows.map((r) => [r.action as string, r.pause as ActionPause]));
  }

  async #cleanup(): Promise<void> {
    if (Date.now() - this.#lastCleanup < CLEANUP_EVERY_MS) return;
    this.#lastCleanup = Date.now();
    await this.#run(
      `DELETE FROM ${FIRES} f WHERE f.service = ? AND f.slot < now() - ${RETENTION}
         AND EXISTS (SELECT 1 FROM ${FIRES} g WHERE g.service = f.service AND g.action = f.action AND g.slot > f.slot)`,
      [this.#service],
    ).catch(() => undefined);
  }

  async close(): Promise<void> {
    await this.#onClose();
  }
}

/** Runs SQL on a knex (its `?` placeholders are knex's own). */
function runOn(db: Knex): SqlRunner {
  return async (sql, params) => ((await db.raw(sql, [...params] as Knex.RawBinding[])) as { rows: Array<Record<string, unknown>> }).rows;
}

/**
 * What this plugin provides under SCHEDULER_LOCK_CAPABILITY: a lock for any postgres:// scheduler.lock
 * (on a pool of its own), and, when `own` is the default connection on PostgreSQL, a lock on that
 * database when there is no scheduler.lock.
 */
export function schedulerLockProvider(own?: { knex: Knex; engine: Engine; connection: string }): SchedulerLockProvider {
  const offersDefault = own?.engine === 'postgres' && own.connection === 'default';
  return {
    kind: 'postgres',
    schemes: ['postgres', 'postgresql'],
    defaultReason: offersDefault ? 'knex-session on PostgreSQL' : undefined,
    create({ url, service }) {
      if (url === undefined) {
        if (!own || !offersDefault) throw new JararacaError('JRR_SCHEDULER_LOCK', 'this knex-session connection offers no default scheduler lock: set scheduler.lock');
        return new PostgresLock({ service, where: 'the knex-session database', run: runOn(own.knex) });
      }
      // Small: claims and lease renewals are one short statement each. No connection until open().
      const knex = createRequire(import.meta.url)('knex') as typeof import('knex').knex;
      const pool = knex({ client: 'pg', connection: { connectionString: url, connectionTimeoutMillis: 5000 } as Knex.PgConnectionConfig, pool: { min: 0, max: 4 } });
      return new PostgresLock({ service, where: redactUrl(url), run: runOn(pool), onClose: () => pool.destroy() });
    },
  };
}
