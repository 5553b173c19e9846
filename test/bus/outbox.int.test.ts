// The transactional outbox and the inbox on PostgreSQL and RabbitMQ: the broker cut (through a
// forwarder of our own, never the shared server), kill -9 of an http process, two relays on one
// database, duplicates, rollbacks, and the 503 without the outbox. One database for this file.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import amqp from 'amqplib';
import pg from 'pg';
import { freshDatabase } from '../support/database.ts';
import { freePort, http, servers, spawnHost, uniqueName, type SpawnedHost } from '../support/host.ts';
import { TcpForwarder } from '../support/tcp-forwarder.ts';
import { deleteBrokerObjects } from '../support/broker.ts';
import { countBy, until, writeOutboxService } from './outbox-service.ts';

const name = uniqueName('obx');
const exchange = `${name}_x`;
const config = writeOutboxService(name);
const configNoOutbox = writeOutboxService(`${name}_plain`, { outbox: false });
let db: { url: string; drop(): Promise<void> };
let client: pg.Client;
let forwarder: TcpForwarder;
let worker: SpawnedHost;
const hosts: SpawnedHost[] = [];

const env = (extra: Record<string, string> = {}) => ({ BUS_URL: servers.amqp, BUS_EXCHANGE: exchange, DATABASE_URL: db.url, ...extra });

async function handledCounts(handler: string): Promise<Map<string, number>> {
  const rows = (await client.query('select handler, item_id, message_id from handled')).rows as Array<{ handler: string; item_id: string; message_id: string }>;
  return countBy(rows, handler);
}

async function items(prefix: string): Promise<string[]> {
  return ((await client.query('select id from items where id like $1', [`${prefix}%`])).rows as Array<{ id: string }>).map((r) => r.id);
}

async function start(extra: Record<string, string> = {}, cfg = config): Promise<SpawnedHost> {
  const h = await spawnHost(cfg, { args: ['--role', 'http'], env: env(extra) });
  hosts.push(h);
  return h;
}

before(async () => {
  db = await freshDatabase('jrr_outbox');
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
  const u = new URL(servers.amqp);
  forwarder = await TcpForwarder.start({ host: u.hostname, port: Number(u.port || 5672) });
  // Through the forwarder too: a cut takes the broker away from every process of the service.
  worker = await spawnHost(config, { args: ['--role', 'worker', '--health-port', String(await freePort())], env: env({ BUS_URL: forwarder.rewrite(servers.amqp) }), waitReady: false });
  hosts.push(worker);
  await worker.waitForLog((l) => l.msg === 'consuming' && l.handler === 'raw', 30000);
});

after(async () => {
  await Promise.allSettled(hosts.map((h) => h.stop('SIGKILL')));
  await forwarder?.close();
  await client?.end();
  await db?.drop();
  await deleteBrokerObjects(name, [exchange]);
});

test('postgres: POST answers 201 while RabbitMQ is unreachable, and the event arrives once it is back', async () => {
  const web = await start({ BUS_URL: forwarder.rewrite(servers.amqp) });
  await forwarder.cut();
  try {
    await until('the http process noticed the broker is gone', async () => (await http('GET', `${web.url}/health/ready`)).body.checks['message-bus'].detail.includes('disconnected'));
    const ready = await http('GET', `${web.url}/health/ready`);
    assert.equal(ready.status, 200, 'still ready: it keeps taking requests');
    const mine: string[] = [];
    for (let i = 0; i < 20; i++) {
      const res = await http('POST', `${web.url}/items`, { id: `cut-${i}` });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      mine.push(res.body.messageId);
    }
    const pending = (await client.query(`select count(*)::int as n from jararaca_outbox where sent_at is null and message_id = any($1)`, [mine])).rows[0].n;
    assert.equal(pending, 20, 'the messages wait in the outbox');
    assert.ok(![...(await handledCounts('raw')).keys()].some((id) => id.startsWith('cut-')), 'nothing was delivered during the outage');
  } finally {
    await forwarder.restore();
  }
  const counts = await until('every cut-* event handled', async () => {
    const c = await handledCounts('record');
    return Array.from({ length: 20 }, (_, i) => c.get(`cut-${i}`)).every((n) => n === 1) ? c : undefined;
  }, 30000);
  assert.equal(counts.size >= 20, true);
  await web.stop();
});

test('postgres: kill -9 of the http process right after its responses leaves no committed row without its event', async () => {
  const web = await start();
  const ids = Array.from({ length: 200 }, (_, i) => `kill-${i}`);
  const answers = await Promise.all(ids.map((id) => http('POST', `${web.url}/items`, { id })));
  web.child.kill('SIGKILL');
  await web.exited;
  assert.ok(answers.every((a) => a.status === 201));
  // Another process relays what the dead one left (its leases expire after leaseMs).
  const other = await start();
  const committed = await items('kill-');
  assert.equal(committed.length, ids.length);
  await until('an event for every committed row', async () => {
    const c = await handledCounts('record');
    return committed.every((id) => c.get(id) === 1);
  }, 30000);
  await other.stop();
});

test('postgres: rows a killed process could not send (broker away) survive it and another process relays them', async () => {
  const web = await start({ BUS_URL: forwarder.rewrite(servers.amqp) });
  await forwarder.cut();
  const ids = Array.from({ length: 50 }, (_, i) => `orphan-${i}`);
  try {
    const answers = await Promise.all(ids.map((id) => http('POST', `${web.url}/items`, { id })));
    assert.ok(answers.every((a) => a.status === 201));
    web.child.kill('SIGKILL');
    await web.exited;
    const mine = answers.map((a) => a.body.messageId as string);
    const unsent = (await client.query(`select count(*)::int as n from jararaca_outbox where sent_at is null and message_id = any($1)`, [mine])).rows[0].n;
    assert.equal(unsent, ids.length, 'every message of the dead process is still in the outbox');
  } finally {
    await forwarder.restore();
  }
  // The worker's relay (another process) sends them once the broker is back.
  await until('an event for every orphan row', async () => {
    const c = await handledCounts('record');
    return ids.every((id) => c.get(id) === 1);
  }, 30000);
});

test('postgres: two relays on one database publish each message once', async () => {
  const a = await start();
  const b = await start();
  const ids = Array.from({ length: 300 }, (_, i) => `two-${i}`);
  const answers = await Promise.all(ids.map((id, i) => http('POST', `${(i % 2 ? a : b).url}/items`, { id })));
  assert.ok(answers.every((r) => r.status === 201));
  const raw = await until('every two-* event delivered', async () => {
    const c = await handledCounts('raw');
    return ids.every((id) => c.get(id)) ? c : undefined;
  }, 30000);
  // `raw` has no inbox: a message published twice would show here.
  await new Promise((r) => setTimeout(r, 1000));
  const again = await handledCounts('raw');
  assert.deepEqual(ids.filter((id) => again.get(id) !== 1), [], 'each delivered exactly once');
  assert.equal(raw.size >= ids.length, true);
  await Promise.all([a.stop(), b.stop()]);
});

test('postgres: the same messageId delivered twice runs an inbox handler once', async () => {
  const web = await start();
  const res = await http('POST', `${web.url}/items`, { id: 'dup-1', twice: true });
  assert.equal(res.status, 201);
  // Also a copy published by someone else with the same messageId.
  const conn = await amqp.connect(servers.amqp);
  const ch = await conn.createConfirmChannel();
  ch.publish(exchange, 'item.created', Buffer.from(JSON.stringify({ id: 'dup-1' })), { messageId: res.body.messageId, type: 'Created', contentType: 'application/json', persistent: true });
  await ch.waitForConfirms();
  await conn.close();
  await until('three deliveries to raw', async () => (await handledCounts('raw')).get('dup-1') === 3);
  assert.equal((await handledCounts('record')).get('dup-1'), 1);
  const inbox = (await client.query('select count(*)::int as n from jararaca_inbox where message_id = $1', [res.body.messageId])).rows[0].n;
  assert.equal(inbox, 1, 'one inbox record: the record handler');
  await web.stop();
});

test('postgres: the messages of one execution reach the broker in the order they were published', async () => {
  const web = await start();
  const conn = await amqp.connect(servers.amqp);
  try {
    const ch = await conn.createChannel();
    const probe = `${name}.probe`;
    await ch.assertQueue(probe, { durable: false });
    await ch.bindQueue(probe, exchange, 'item.created');
    const answers = await Promise.all(['ord-a', 'ord-b', 'ord-c'].map((id) => http('POST', `${web.url}/items`, { id, count: 20 })));
    assert.ok(answers.every((a) => a.status === 201));
    const seen: string[] = [];
    await until('60 messages on the probe queue', async () => {
      for (let m = await ch.get(probe, { noAck: true }); m; m = await ch.get(probe, { noAck: true })) seen.push(JSON.parse(m.content.toString()).id);
      return seen.length >= 60;
    });
    for (const id of ['ord-a', 'ord-b', 'ord-c']) {
      const mine = seen.filter((s) => s === id || s.startsWith(`${id}-`));
      assert.deepEqual(mine, [id, ...Array.from({ length: 19 }, (_, k) => `${id}-${k + 1}`)]);
    }
    await ch.deleteQueue(probe);
  } finally {
    await conn.close();
  }
  await web.stop();
});

test('postgres: a rolled-back execution leaves nothing in the outbox', async () => {
  const web = await start();
  const res = await http('POST', `${web.url}/items`, { id: 'rb-1', fail: true, messageId: 'rb-1-message' });
  assert.equal(res.status, 409);
  assert.equal((await client.query(`select count(*)::int as n from jararaca_outbox where message_id = 'rb-1-message'`)).rows[0].n, 0);
  assert.deepEqual(await items('rb-'), []);
  await web.stop();
});

test('postgres: without the outbox, a broker that stays away is a 503 with Retry-After, not a 500', async () => {
  const web = await start({ BUS_URL: forwarder.rewrite(servers.amqp) }, configNoOutbox);
  await forwarder.cut();
  try {
    const res = await http('POST', `${web.url}/items`, { id: 'plain-1' });
    assert.equal(res.status, 503, JSON.stringify(res.body));
    assert.equal(res.body.code, 'JRR_BUS_UNAVAILABLE');
    assert.ok(Number(res.headers.get('retry-after')) > 0);
  } finally {
    await forwarder.restore();
  }
  await web.stop();
});
