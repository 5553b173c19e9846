// The tasks example as it runs in production: two HTTP replicas, a worker and a scheduler, each
// its own jararaca-host process, on real PostgreSQL, RabbitMQ and Redis, with only environment
// variables changed from the embedded defaults.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { WebSocket } from 'ws';
import { freePort, http, repoRoot, runHost, servers, spawnHost, uniqueName, type SpawnedHost } from '../support/host.ts';
import { eventually } from '../support/eventually.ts';
import { deleteBrokerObjects } from '../support/broker.ts';

const config = path.join(repoRoot, 'examples/tasks/service.yaml');
const database = uniqueName('tasks_e2e');
const databaseUrl = (() => {
  const url = new URL(servers.postgres);
  url.pathname = `/${database}`;
  return url.toString();
})();
// The example's fixed names (service 'tasks', exchange 'jararaca'): this is the only test file
// that runs the example on the shared RabbitMQ, and it clears them (and their DLQs and retry
// buckets) before and after.
const queues = ['tasks.markDone', 'tasks.hello'];

async function clearBroker(): Promise<void> {
  await deleteBrokerObjects('tasks');
}

describe('the tasks example on PostgreSQL, RabbitMQ and Redis, one role per process', () => {
  const env = { DATABASE_URL: databaseUrl, AMQP_URL: servers.amqp, REDIS_URL: servers.redis, LOG_LEVEL: 'info' };
  const hosts: SpawnedHost[] = [];
  let httpA: SpawnedHost;
  let httpB: SpawnedHost;
  const admin = new pg.Client({ connectionString: servers.postgres });

  before(async () => {
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    await clearBroker();
    // Production migrates as a release step, not at start.
    const migrated = await runHost(['migrate', 'latest', '--config', config], { env });
    assert.equal(migrated.code, 0, migrated.stderr + migrated.stdout);
    httpA = await spawnHost(config, { args: ['--role', 'http'], env });
    httpB = await spawnHost(config, { args: ['--role', 'http'], env });
    const worker = await spawnHost(config, { args: ['--role', 'worker', '--health-port', String(await freePort())], env, waitReady: false });
    hosts.push(httpA, httpB, worker);
    await worker.waitForLog((l) => typeof l.msg === 'string' && /worker started|consuming/i.test(l.msg), 30000);
  });

  after(async () => {
    for (const h of hosts) assert.equal(await h.stop(), 0, h.output().slice(-2000));
    await clearBroker();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
  });

  test('a task POSTed to one replica is stored in PostgreSQL, done by the worker, and both events reach a WebSocket client on the other replica', async () => {
    const socket = new WebSocket(`ws://127.0.0.1:${httpA.port}/ws`);
    const frames: Array<{ type: string; data: { id?: string; status?: string } }> = [];
    socket.on('message', (raw) => frames.push(JSON.parse(raw.toString())));
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    const waitFor = (predicate: () => boolean, what: string, ms = 10000) =>
      eventually(`${what}`, predicate, { timeoutMs: ms }).catch((err: Error) => {
        throw new Error(`${err.message}; frames: ${JSON.stringify(frames)}`);
      });
    await waitFor(() => frames.some((f) => f.type === 'hello'), 'hello');

    const created = await http('POST', `${httpB.url}/tasks`, { title: 'across processes' });
    assert.equal(created.status, 201);
    const id = created.body.id as string;

    await waitFor(() => frames.some((f) => f.type === 'task.created' && f.data.id === id), 'task.created');
    await waitFor(() => frames.some((f) => f.type === 'task.done' && f.data.id === id && f.data.status === 'done'), 'task.done');
    socket.close();

    const fetched = await http('GET', `${httpA.url}/tasks/${id}`);
    assert.equal(fetched.body.status, 'done');
    const row = await new pg.Client({ connectionString: databaseUrl });
    await row.connect();
    const { rows } = await row.query('SELECT title, status FROM tasks WHERE id = $1', [id]);
    await row.end();
    assert.deepEqual(rows, [{ title: 'across processes', status: 'done' }]);
  });

  test("RabbitMQ holds each handler's queue and dead-letter queue", () => {
    const listed = execFileSync('rabbitmqctl', ['-q', 'list_queues', 'name'], { encoding: 'utf8' });
    for (const q of queues) {
      assert.match(listed, new RegExp(`^${q.replace('.', '\\.')}$`, 'm'));
      assert.match(listed, new RegExp(`^${q.replace('.', '\\.')}\\.dlq$`, 'm'));
    }
  });

  test('three schedulers republish a stale task once per slot between them, and the worker finishes it', async () => {
    const schedulers = await Promise.all(
      [0, 1, 2].map(async () => spawnHost(config, { args: ['--role', 'scheduler', '--health-port', String(await freePort())], env, waitReady: false })),
    );
    hosts.push(...schedulers);
    // A task that was created 60 s ago and never processed (its message was lost, say).
    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    const id = '11111111-2222-4333-8444-555555555555';
    await db.query("INSERT INTO tasks (id, title, status, created_at) VALUES ($1, 'stale', 'pending', now() - interval '60 seconds')", [id]);
    await eventually('the stale task to be republished and done', async () => (await db.query('SELECT status FROM tasks WHERE id = $1', [id])).rows[0]?.status === 'done', {
      timeoutMs: 20_000,
      intervalMs: 200,
    }).catch((err: Error) => {
      throw new Error(`${err.message}; scheduler output:\n${schedulers[0].output().slice(-3000)}`);
    });
    await db.end();
    // Let a few more 5-second slots pass, then count fires per slot across the three processes.
    await new Promise((r) => setTimeout(r, 6000));
    for (const s of schedulers) assert.equal(await s.stop(), 0, s.output().slice(-2000));
    const fires = schedulers.flatMap((s) => s.logs().filter((l) => l.action === 'republishStaleTasks' && l.outcome === 'ok').map((l) => String(l.slot)));
    const perSlot = new Map<string, number>();
    for (const slot of fires) perSlot.set(slot, (perSlot.get(slot) ?? 0) + 1);
    assert.ok(perSlot.size >= 2, `fires: ${JSON.stringify([...perSlot])}`);
    for (const [slot, count] of perSlot) assert.equal(count, 1, `slot ${slot} fired ${count} times`);
  });

  test('a bad body is a 400 and stores nothing', async () => {
    const before = (await http('GET', `${httpA.url}/tasks`)).body.total;
    const res = await http('POST', `${httpA.url}/tasks`, { title: '' });
    assert.equal(res.status, 400);
    assert.equal((await http('GET', `${httpA.url}/tasks`)).body.total, before);
  });
});
