// The console over a fleet of real processes (an http, a worker and a scheduler process, each
// jararaca-host with its own role) on PostgreSQL and on Redis, with RabbitMQ: every process
// appears in the overview by role from its heartbeat; the handlers page shows the queue's
// consumers and dead letters from the broker and the deliveries counted by the worker process.
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import amqp from 'amqplib';
import pg from 'pg';
import { Redis } from 'ioredis';
import { freePort, http, servers, spawnHost, tempDir, uniqueName, type SpawnedHost } from '../support/host.ts';
import { eventually } from '../support/eventually.ts';
import { deleteBrokerObjects } from '../support/broker.ts';
import { fleetService, publishPlaced } from './console-fleet.service.ts';

const database = uniqueName('jrr_fleet');
const redisPrefix = `${uniqueName('jrr_fleet')}:`;
const dbUrl = (() => {
  const u = new URL(servers.postgres);
  u.pathname = `/${database}`;
  return u.toString();
})();
const OPERATOR = { authorization: `Basic ${Buffer.from('olga:operator-pass').toString('base64')}` };
const VIEWER = { authorization: `Basic ${Buffer.from('vera:viewer-pass').toString('base64')}` };
const exchanges: string[] = [];

before(async () => {
  const admin = new pg.Client({ connectionString: servers.postgres });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  await admin.end();
});

after(async () => {
  const admin = new pg.Client({ connectionString: servers.postgres });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin.end();
  const redis = new Redis(servers.redis);
  const keys = await redis.keys(`${redisPrefix}*`);
  if (keys.length) await redis.del(...keys);
  await redis.quit();
});

for (const engine of ['postgres', 'redis'] as const) {
  describe(`console fleet on ${engine}`, () => {
    const name = uniqueName(`fleet-${engine}`).replace(/_/g, '-');
    const exchange = uniqueName('jrr_fleet_ex');
    exchanges.push(exchange);
    const work = tempDir();
    const env = { TEST_DB_URL: dbUrl, REDIS_URL: servers.redis, AMQP_URL: servers.amqp, CONSOLE_VIEWER: 'vera:viewer-pass', CONSOLE_OPERATOR: 'olga:operator-pass' };
    const procs: SpawnedHost[] = [];
    const fixedFile = path.join(work, 'fixed');
    const journal = path.join(work, 'journal');
    let web: SpawnedHost;

    before(async () => {
      const dir = fleetService(name, { exchange, engine, redisPrefix, fixedFile, journal });
      for (const role of ['worker', 'scheduler']) procs.push(await spawnHost(`${dir}/service.yaml`, { args: ['--role', role, '--health-port', String(await freePort())], waitReady: false, env }));
      await procs[0].waitForLog((l) => String(l.msg) === 'consuming', 30_000);
      web = await spawnHost(`${dir}/service.yaml`, { args: ['--role', 'http'], env });
      procs.push(web);
    });
    after(async () => {
      await Promise.all(procs.map((p) => p.stop()));
      await deleteBrokerObjects(name, [exchange]);
      rmSync(work, { recursive: true, force: true });
    });

    test('every process appears in the overview under its role, with version, uptime and readiness', async () => {
      const overview = await eventually('three roles seen', async () => {
        const res = await http('GET', `${web.url}/_console/api/overview`, undefined, VIEWER);
        assert.equal(res.status, 200);
        const all = [...res.body.roles.http, ...res.body.roles.worker, ...res.body.roles.scheduler];
        // A process's first beat may come before its broker connection is up (not ready yet).
        return res.body.roles.http.length && res.body.roles.worker.length && res.body.roles.scheduler.length && all.every((p: { ready: boolean }) => p.ready) ? res.body : undefined;
      }, { timeoutMs: 20_000 });
      assert.equal(overview.store, engine === 'postgres' ? 'database' : 'redis');
      const pids = (role: string) => overview.roles[role].map((p: { pid: number }) => p.pid);
      assert.deepEqual(pids('http'), [web.child.pid]);
      assert.deepEqual(pids('worker'), [procs[0].child.pid]);
      assert.deepEqual(pids('scheduler'), [procs[1].child.pid]);
      for (const p of [...overview.roles.http, ...overview.roles.worker]) {
        assert.ok(p.uptimeMs >= 0);
        assert.equal(typeof p.version, 'string');
      }
    });

    test('the handlers page: consumers and dead letters from the broker, deliveries counted by the worker, errors per kind in the overview', async () => {
      await publishPlaced(exchange, [
        { id: 'a1', kind: 'timeout' },
        { id: 'a2', kind: 'invalid' },
        { id: 'a3', kind: 'ok' },
      ]);
      const handler = await eventually('deliveries in the heartbeat', async () => {
        const res = await http('GET', `${web.url}/_console/api/handlers`, undefined, VIEWER);
        const h = res.body.handlers.find((x: { name: string }) => x.name === 'orders');
        return h && h.lastHour.deadLettered === 2 && h.lastHour.acked === 1 && h.deadLetterQueue === 2 ? h : undefined;
      }, { timeoutMs: 20_000 });
      assert.equal(handler.queue, `${name}.orders`);
      assert.equal(handler.consumers, 1);
      assert.equal(handler.depth, 0);
      assert.equal(handler.inFlight, 0);
      const overview = (await http('GET', `${web.url}/_console/api/overview`, undefined, VIEWER)).body;
      const message = overview.executions.find((e: { kind: string }) => e.kind === 'message');
      assert.ok(message, JSON.stringify(overview.executions));
      assert.ok(message.errorRate > 0.5 && message.errorRate < 0.7, `2 of 3 failed: ${message.errorRate}`);
      assert.equal(message.chart.ok.reduce((a: number, b: number) => a + b, 0), 1);
      assert.equal(message.chart.failed.reduce((a: number, b: number) => a + b, 0), 2);
      // The action fires every 2 s and beats every 500 ms: on a fast start the first fire may
      // not have been reported yet when the deliveries are.
      await eventually('the scheduler process counted its fires', async () => {
        const res = await http('GET', `${web.url}/_console/api/overview`, undefined, VIEWER);
        return res.body.executions.some((e: { kind: string }) => e.kind === 'scheduled');
      }, { timeoutMs: 20_000 });
    });

    test('dead letters: search by error, message id, body and time; requeue all matching (the handler runs them), purge selected; a viewer gets 403', async () => {
      await publishPlaced(exchange, Array.from({ length: 20 }, (_, i) => ({ id: `b${i}`, kind: i % 2 ? 'invalid' : 'timeout' })));
      const search = async (query: Record<string, string>) => {
        const res = await http('GET', `${web.url}/_console/api/dead-letters?${new URLSearchParams({ handler: 'orders', ...query })}`, undefined, VIEWER);
        assert.equal(res.status, 200, JSON.stringify(res.body));
        return res.body;
      };
      await eventually('22 dead letters', async () => (await search({})).total === 22, { timeoutMs: 20_000 });
      const all = await search({ limit: '5', offset: '5' });
      assert.equal(all.source, engine === 'postgres' ? 'index' : 'queue');
      assert.equal(all.letters.length, 5);
      assert.equal((await search({ error: 'UPSTREAM TIMEOUT' })).total, 11);
      assert.equal((await search({ error: 'no such street' })).total, 11);
      const one = await search({ messageId: 'm-b3' });
      assert.equal(one.total, 1);
      assert.match(one.letters[0].error, /invalid address/);
      assert.deepEqual(JSON.parse(one.letters[0].body), { id: 'b3', kind: 'invalid' });
      assert.equal(typeof one.letters[0].headers, 'object');
      assert.equal((await search({ body: '"id":"b1' })).total, 11, 'b1 and b10..b19');
      assert.equal((await search({ from: new Date(Date.now() + 60_000).toISOString() })).total, 0);
      assert.equal((await search({ from: new Date(Date.now() - 600_000).toISOString(), to: new Date(Date.now() + 60_000).toISOString() })).total, 22);

      const refused = await http('POST', `${web.url}/_console/api/dead-letters/requeue`, { handler: 'orders', filter: {} }, VIEWER);
      assert.equal(refused.status, 403);

      writeFileSync(fixedFile, '');
      const requeued = await http('POST', `${web.url}/_console/api/dead-letters/requeue`, { handler: 'orders', filter: { error: 'timeout' } }, OPERATOR);
      assert.equal(requeued.status, 200, JSON.stringify(requeued.body));
      assert.equal(requeued.body.requeued, 11);
      assert.equal(requeued.body.remaining, 11);
      await eventually('the handler ran them', async () => {
        const ran = readFileSync(journal, 'utf8').split('\n').filter(Boolean);
        return ['a1', ...Array.from({ length: 10 }, (_, i) => `b${i * 2}`)].every((id) => ran.includes(id));
      }, { timeoutMs: 20_000 });
      assert.equal((await search({})).total, 11);
      assert.equal((await search({ error: 'timeout' })).total, 0);
      assert.ok(web.logs().some((l) => (l.console as { action?: string } | undefined)?.action === 'requeued' && (l.console as { user?: string }).user === 'olga'));

      const purged = await http('POST', `${web.url}/_console/api/dead-letters/purge`, { handler: 'orders', messageIds: ['m-b3', 'm-b5'] }, OPERATOR);
      assert.equal(purged.body.purged, 2);
      assert.equal(purged.body.remaining, 9);
      assert.equal((await search({})).total, 9);
      assert.equal((await search({ messageId: 'm-b3' })).total, 0);
    });

    test('a stopped process drops out of the overview', async () => {
      const scheduler = procs[1];
      await scheduler.stop();
      await eventually('scheduler gone', async () => (await http('GET', `${web.url}/_console/api/overview`, undefined, VIEWER)).body.roles.scheduler.length === 0, { timeoutMs: 20_000 });
    });
  });
}

after(async () => {
  const conn = await amqp.connect(servers.amqp);
  const ch = await conn.createChannel();
  for (const e of exchanges) await ch.deleteExchange(e).catch(() => undefined);
  await conn.close().catch(() => undefined);
});
