// Three scheduler replicas coordinating through a real PostgreSQL (scheduler.lock: postgres://):
// each slot fires exactly once in total, also after one replica is killed with SIGKILL.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { assertExactlyOnce, runThreeReplicas, type Fire } from './scheduler-suite.ts';
import { servers, spawnHost, uniqueName, writeService } from '../support/host.ts';
import { freshDatabase } from '../support/database.ts';

let database: Awaited<ReturnType<typeof freshDatabase>> | undefined;
let dbUrl = '';
let db: pg.Pool;

before(async () => {
  database = await freshDatabase('jrr_sched_pg');
  dbUrl = database.url;
  db = new pg.Pool({ connectionString: dbUrl, max: 2 });
  await db.query('CREATE TABLE fires (slot timestamptz NOT NULL, pid integer NOT NULL)');
});

after(async () => {
  await db?.end();
  await database?.drop();
});

test('three replicas on PostgreSQL fire every slot exactly once, also after kill -9 of one', async () => {
  const dir = writeService({
    'service.yaml': `name: ${uniqueName('sched-pg').replace(/_/g, '-')}
interceptors:
  - use: knex-session
    with:
      url: \${TEST_DB_URL}
providers:
  db:
    factory: ./db.ts#createPool
    dispose: end
controllers:
  - ./jobs.ts
scheduler:
  lock: \${LOCK_URL}
  shutdownTimeoutMs: 3000
`,
    'db.ts': `import pg from 'pg';
export function createPool() {
  return new pg.Pool({ connectionString: process.env.TEST_DB_URL, max: 2 });
}
`,
    'jobs.ts': `import type pg from 'pg';
import { ScheduledAction, type ScheduledFire } from 'jararaca';
export class Jobs {
  readonly db: pg.Pool;
  constructor({ db }: { db: pg.Pool }) {
    this.db = db;
  }
  @ScheduledAction('* * * * * *', { name: 'tick' })
  async tick(fire: ScheduledFire): Promise<void> {
    await this.db.query('INSERT INTO fires (slot, pid) VALUES ($1, $2)', [fire.slot, process.pid]);
  }
}
`,
  });
  const run = await runThreeReplicas({
    config: `${dir}/service.yaml`,
    env: { LOCK_URL: dbUrl, TEST_DB_URL: dbUrl },
    readFires: async () => (await db.query<{ slot: Date; pid: number }>('SELECT slot, pid FROM fires')).rows.map((r): Fire => ({ slot: r.slot.getTime(), pid: r.pid })),
  });
  assertExactlyOnce(run);
  // The lock's own history agrees: one row per (action, slot).
  const history = await db.query<{ n: string; distinct_slots: string }>("SELECT count(*) AS n, count(DISTINCT slot) AS distinct_slots FROM jararaca_scheduler_fires WHERE action = 'tick'");
  assert.equal(history.rows[0].n, history.rows[0].distinct_slots);
  const started = run.replicas[1].logs().find((l) => typeof l.msg === 'string' && l.msg.startsWith('scheduler lock:'));
  assert.equal(started?.lock, 'postgres');
  assert.ok(!String(started?.where).includes(':jararaca@'), 'the password is not logged');
});

test('with a knex-session on PostgreSQL and no scheduler.lock, the lock uses that database and each fire has its own session', async () => {
  await db.query('CREATE TABLE session_fires (slot timestamptz PRIMARY KEY)');
  const service = uniqueName('sched-knex').replace(/_/g, '-');
  const dir = writeService({
    'service.yaml': `name: ${service}
interceptors:
  - use: knex-session
    with:
      url: \${TEST_DB_URL}
controllers:
  - ./jobs.ts
`,
    'jobs.ts': `import { ScheduledAction, type ScheduledFire } from 'jararaca';
import { useSession } from 'jararaca/knex-session';
export class Jobs {
  @ScheduledAction('* * * * * *', { name: 'tick' })
  async tick(fire: ScheduledFire): Promise<void> {
    await useSession()('session_fires').insert({ slot: fire.slot });
  }
}
`,
  });
  const host = await spawnHost(`${dir}/service.yaml`, { args: ['--role', 'scheduler', '--health-port', '0'], waitReady: false, env: { TEST_DB_URL: dbUrl } });
  try {
    const lockLine = await host.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('scheduler lock:'), 30_000);
    assert.deepEqual([lockLine.lock, lockLine.reason], ['postgres', 'knex-session on PostgreSQL']);
    await host.waitForLog((l) => l.msg === 'scheduled action tick ok' && (host.logs().filter((m) => m.msg === 'scheduled action tick ok').length >= 2), 30_000);
    assert.equal(await host.stop('SIGTERM'), 0);
  } finally {
    await host.stop('SIGKILL');
  }
  const rows = Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM session_fires')).rows[0].n);
  const ok = host.logs().filter((m) => m.msg === 'scheduled action tick ok').length;
  assert.ok(rows >= 2);
  assert.equal(rows, ok, 'one committed row per successful fire');
  const claimed = Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM jararaca_scheduler_fires WHERE service = $1', [service])).rows[0].n);
  assert.ok(claimed >= ok, 'the slots were claimed in the same database');
});
