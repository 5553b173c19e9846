// The console over three real scheduler replicas (jararaca-host --role scheduler), on
// PostgreSQL (knex-session's default lock) and on Redis (scheduler.lock: redis://): "run now"
// from the console's http process runs once and is in the history with the scheduled fires of
// every replica; a pause stops the fires on every replica, and resume brings them back. The
// same once more in Chromium (playwright-core, Debian's /usr/bin/chromium), through the page's
// buttons: "Run tick now" runs once and the run is in the history shown; "Pause tick" stops the
// fires on every replica, "Resume tick" brings them back.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import pg from 'pg';
import { Redis } from 'ioredis';
import { freePort, http, servers, spawnHost, uniqueName, writeService, type SpawnedHost } from '../support/host.ts';
import { freshDatabase } from '../support/database.ts';
import { eventually } from '../support/eventually.ts';

const redisPrefix = `${uniqueName('jrr_console')}:`;
let database: Awaited<ReturnType<typeof freshDatabase>> | undefined;
let dbUrl = '';
const OPERATOR = { authorization: `Basic ${Buffer.from('olga:operator-pass').toString('base64')}` };
let db: pg.Pool;

before(async () => {
  database = await freshDatabase('jrr_console');
  dbUrl = database.url;
  db = new pg.Pool({ connectionString: dbUrl, max: 2 });
  await db.query('CREATE TABLE fires (service text NOT NULL, slot timestamptz NOT NULL, pid integer NOT NULL)');
});

after(async () => {
  await db?.end();
  await database?.drop();
  const redis = new Redis(servers.redis);
  const keys = await redis.keys(`${redisPrefix}*`);
  if (keys.length) await redis.del(...keys);
  await redis.quit();
});

function service(name: string, lock: string | undefined): string {
  return writeService({
    'service.yaml': `name: ${name}
interceptors:
  - use: console
    with:
      operator: \${CONSOLE_OPERATOR:-}
  - use: knex-session
    with:
      url: \${TEST_DB_URL}
  - use: redis
    with:
      url: \${REDIS_URL}
      prefix: '${redisPrefix}'
providers:
  db:
    factory: ./db.ts#createPool
    dispose: end
controllers:
  - ./jobs.ts
${lock ? `scheduler:\n  lock: ${lock}\n` : ''}`,
    'db.ts': `import { chromium } from 'playwright-core';
import pg from 'pg';
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
  async tick(fire: ScheduledFire) {
    await this.db.query('INSERT INTO fires (service, slot, pid) VALUES ($1, $2, $3)', ['${name}', fire.slot, process.pid]);
  }
}
`,
  });
}

const backends = {
  postgres: undefined,
  redis: `${servers.redis}/?prefix=${encodeURIComponent(redisPrefix)}`,
};

for (const [kind, lock] of Object.entries(backends)) {
  describe(`console over three scheduler replicas on ${kind}`, () => {
    const name = uniqueName(`console-${kind}`).replace(/_/g, '-');
    // Read when the hosts start: the database exists only from the file's before().
    const env = () => ({ TEST_DB_URL: dbUrl, REDIS_URL: servers.redis, CONSOLE_OPERATOR: 'olga:operator-pass' });
    const replicas: SpawnedHost[] = [];
    let web: SpawnedHost;
    const fires = async () => (await db.query<{ slot: Date; pid: number }>('SELECT slot, pid FROM fires WHERE service = $1', [name])).rows;

    before(async () => {
      const dir = service(name, lock);
      for (let i = 0; i < 3; i++) {
        replicas.push(await spawnHost(`${dir}/service.yaml`, { args: ['--role', 'scheduler', '--health-port', String(await freePort())], waitReady: false, env: env() }));
      }
      await Promise.all(replicas.map((r) => r.waitForLog((l) => String(l.msg).startsWith('scheduler started'), 30_000)));
      web = await spawnHost(`${dir}/service.yaml`, { args: ['--role', 'http'], env: env() });
    });
    after(async () => {
      await Promise.all([...replicas, web].filter(Boolean).map((r) => r.stop()));
    });

    test('run now runs once, in the console process, and is in the history beside the replicas\' fires', async () => {
      await eventually('scheduled fires', async () => (await fires()).length >= 3, { timeoutMs: 20_000 });
      // The action's running lease may be held by a replica's fire at that instant: 409, try again.
      const run = await eventually('run now', async () => {
        const res = await http('POST', `${web.url}/_console/api/scheduled/tick/run`, undefined, OPERATOR);
        return res.status === 409 ? undefined : res;
      });
      assert.equal(run.status, 200, JSON.stringify(run.body));
      assert.equal(run.body.outcome, 'ok');
      const byConsole = (await fires()).filter((f) => f.pid === web.child.pid);
      assert.equal(byConsole.length, 1, 'ran once');
      const history = (await http('GET', `${web.url}/_console/api/scheduled/tick/runs?limit=500`, undefined, OPERATOR)).body.runs as Array<{ trigger: string; by?: string; replica: string; outcome: string; slot: number }>;
      assert.equal(history.filter((r) => r.trigger === 'manual').length, 1);
      assert.equal(history.find((r) => r.trigger === 'manual')?.by, 'olga');
      const scheduled = history.filter((r) => r.trigger === 'schedule');
      assert.ok(scheduled.length >= 3);
      assert.equal(new Set(scheduled.map((r) => r.slot)).size, scheduled.length, 'one record per slot across the replicas');
      const pids = new Set(replicas.map((r) => String(r.child.pid)));
      assert.ok(scheduled.every((r) => pids.has(r.replica.split(':').pop()!)), 'recorded by the replicas');
    });

    test('pause stops the fires on every replica; resume brings them back', async () => {
      const paused = await http('POST', `${web.url}/_console/api/scheduled/tick/pause`, undefined, OPERATOR);
      assert.equal(paused.status, 200);
      // A fire that passed its check before the pause may still finish: count from a moment after.
      await sleep(1500);
      const count = (await fires()).length;
      await sleep(3000);
      assert.equal((await fires()).length, count, 'no replica fired while paused');
      const list = (await http('GET', `${web.url}/_console/api/scheduled`, undefined, OPERATOR)).body.actions;
      assert.equal(list[0].paused.by, 'olga');
      await http('POST', `${web.url}/_console/api/scheduled/tick/resume`, undefined, OPERATOR);
      await eventually('fires again after resume', async () => (await fires()).length > count, { timeoutMs: 10_000 });
    });

    test('in the page: "Run tick now" runs once and shows in the history; "Pause tick" stops every replica, "Resume tick" restarts them', async () => {
      const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
      try {
        const context = await browser.newContext({ httpCredentials: { username: 'olga', password: 'operator-pass' }, viewport: { width: 1360, height: 860 } });
        const page = await context.newPage();
        const errors: string[] = [];
        page.on('pageerror', (err) => errors.push(err.message));
        await page.goto(`${web.url}/_console/#scheduled`);
        await page.getByText('Signed in as olga (operator)').waitFor();
        const manualRuns = async () => ((await http('GET', `${web.url}/_console/api/scheduled/tick/runs?limit=500`, undefined, OPERATOR)).body.runs as Array<{ trigger: string }>).filter((r) => r.trigger === 'manual').length;
        const ranBefore = (await fires()).filter((f) => f.pid === web.child.pid).length;
        const manualBefore = await manualRuns();

        // A replica's fire may hold the action's running lease at that instant: the page says so (409); click again.
        await eventually('run now from the page', async () => {
          await page.getByRole('button', { name: 'Run tick now' }).click();
          const dialog = page.getByRole('dialog');
          await dialog.getByText('Run tick now, once, in this process?').waitFor();
          const [answer] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/_console/api/scheduled/tick/run')), dialog.getByRole('button', { name: 'Run now' }).click()]);
          return answer.status() === 409 ? undefined : answer.status();
        });
        await page.getByRole('status').getByText(/^tick ran: ok in \d+ ms$/).waitFor();
        await page.getByRole('heading', { name: 'History of tick' }).waitFor();
        await page.getByRole('cell', { name: 'manual by olga', exact: true }).first().waitFor();
        // The history shows the replicas' scheduled runs beside it.
        const replicaCells = await page.getByRole('cell', { name: /:\d+$/ }).allTextContents();
        assert.ok(replicas.some((r) => replicaCells.some((c) => c.endsWith(`:${r.child.pid}`))), 'runs of the replicas in the history');
        assert.equal((await fires()).filter((f) => f.pid === web.child.pid).length, ranBefore + 1, 'ran once, in the console process');
        assert.equal(await manualRuns(), manualBefore + 1, 'recorded once');

        await page.getByRole('button', { name: 'Pause tick' }).click();
        await page.getByRole('status').getByText('tick paused').waitFor();
        await page.getByRole('cell', { name: /^paused by olga since / }).waitFor();
        await sleep(1500);
        const count = (await fires()).length;
        await sleep(3000);
        assert.equal((await fires()).length, count, 'no replica fired while paused');
        await page.getByRole('button', { name: 'Resume tick' }).click();
        await page.getByRole('status').getByText('tick resumed').waitFor();
        await page.getByRole('cell', { name: 'active', exact: true }).waitFor();
        await eventually('fires again after resume', async () => (await fires()).length > count, { timeoutMs: 10_000 });
        assert.deepEqual(errors, []);
      } finally {
        await browser.close();
      }
    });
  });
}
