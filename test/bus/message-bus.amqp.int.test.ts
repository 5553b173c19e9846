// The message bus on a real RabbitMQ: the behavioural suite, plus what only a network broker
// has (publisher confirms before the HTTP response, reconnection, graceful stop across
// processes, the dlq command). Every name is unique to this run and deleted afterwards.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import amqp from 'amqplib';
import { http, runHost, servers, spawnHost } from '../support/host.ts';
import { eventually } from '../support/eventually.ts';
import { behaviouralSuite, handled, makeService, writes, type BusService } from './message-bus.suite.ts';

const created: BusService[] = [];

async function deleteTopology(svc: BusService): Promise<void> {
  const conn = await amqp.connect(servers.amqp);
  try {
    const names = execFileSync('rabbitmqctl', ['-q', 'list_queues', '--no-table-headers', 'name'], { encoding: 'utf8' }).split('\n').map((s) => s.trim());
    const ch = await conn.createChannel();
    for (const q of names.filter((n) => n.startsWith(`${svc.name}.`) || n.startsWith(`${svc.exchange}.`) || n.startsWith('jrr_probe_'))) await ch.deleteQueue(q);
    await ch.deleteExchange(svc.exchange);
    await ch.deleteExchange(`${svc.exchange}.delay`);
    await ch.close();
  } finally {
    await conn.close();
  }
}

const suite = behaviouralSuite('amqp', () => servers.amqp, deleteTopology);

after(async () => {
  for (const svc of created) {
    await deleteTopology(svc).catch(() => undefined);
    rmSync(svc.dir, { recursive: true, force: true });
  }
});

test('amqp: the worker declared each handler queue and its dead-letter queue on a fresh broker', async () => {
  const svc = suite.svc();
  const conn = await amqp.connect(servers.amqp);
  try {
    const ch = await conn.createChannel();
    for (const h of ['exact', 'wild', 'extra']) {
      await ch.checkQueue(`${svc.name}.${h}`);
      await ch.checkQueue(`${svc.name}.${h}.dlq`);
    }
    await ch.close();
  } finally {
    await conn.close();
  }
});

test('amqp: the HTTP response is sent after the broker confirmed the message', async () => {
  const svc = suite.svc();
  const conn = await amqp.connect(servers.amqp);
  try {
    const ch = await conn.createChannel();
    const probe = `jrr_probe_${svc.name}`;
    await ch.assertQueue(probe, { durable: false, autoDelete: false });
    await ch.bindQueue(probe, svc.exchange, 'item.created');
    const res = await http('POST', `${suite.host().url}/t/publish`, { id: 'confirm1' });
    assert.equal(res.status, 200);
    // No waiting: the message is already queued when the response arrives.
    assert.equal((await ch.checkQueue(probe)).messageCount, 1);
    const m = await ch.get(probe, { noAck: true });
    assert.ok(m);
    // The wire format a non-jararaca consumer relies on.
    assert.equal(m.properties.type, 'Created');
    assert.equal(m.properties.contentType, 'application/json');
    assert.equal(m.properties.messageId, res.body.messageId);
    assert.equal(m.properties.deliveryMode, 2);
    assert.equal(typeof m.properties.timestamp, 'number');
    assert.deepEqual(JSON.parse(m.content.toString()), { id: 'confirm1' });
    await ch.deleteQueue(probe);
    await ch.close();
  } finally {
    await conn.close();
  }
});

test('amqp: a message published by a plain amqplib producer is consumed', async () => {
  const svc = suite.svc();
  const conn = await amqp.connect(servers.amqp);
  try {
    const ch = await conn.createConfirmChannel();
    ch.publish(svc.exchange, 'item.created', Buffer.from(JSON.stringify({ id: 'foreign1' })), { contentType: 'application/json', type: 'Created', messageId: 'm-foreign1', persistent: true });
    await ch.waitForConfirms();
    await ch.close();
  } finally {
    await conn.close();
  }
  await svc.waitFor('foreign1 written', (l) => writes(l, 'foreign1').length === 1);
});

test('amqp: after the broker closes the connection the worker reconnects and no message is lost', async () => {
  const svc = suite.svc();
  const host = suite.host();
  const ids = ['rc1', 'rc2', 'rc3', 'rc4'];
  for (const id of ids.slice(0, 2)) await http('POST', `${host.url}/t/publish`, { id, mode: 'slow' });
  await svc.waitFor('rc1 in flight', (l) => handled(l, 'exact', 'rc1').length >= 1);
  const rows = execFileSync('rabbitmqctl', ['-q', 'list_connections', '--no-table-headers', 'pid', 'client_properties'], { encoding: 'utf8' }).split('\n');
  const ours = rows.filter((r) => r.includes(`pid ${host.child.pid}`)).map((r) => r.split('\t')[0]);
  assert.ok(ours.length >= 1, 'found the host connection');
  for (const pid of ours) execFileSync('rabbitmqctl', ['-q', 'close_connection', pid, 'test: connection closed on purpose']);
  // Published while reconnecting: waits for the connection, then confirmed.
  for (const id of ids.slice(2)) assert.equal((await http('POST', `${host.url}/t/publish`, { id })).status, 200);
  await host.waitForLog((l) => String(l.msg).startsWith('reconnected'));
  await svc.waitFor('every message written', (l) => ids.every((id) => writes(l, id).length >= 1), 20000);
  assert.equal((await http('GET', `${host.url}/health/ready`)).status, 200);
});

test('amqp: graceful stop finishes messages in flight; the rest wait in the queue for the next worker', async () => {
  const svc = makeService(servers.amqp);
  created.push(svc);
  const config = path.join(svc.dir, 'service.yaml');
  const publisher = await spawnHost(config, { env: svc.env, args: ['--role', 'http'] });
  const workerArgs = ['--role', 'worker', '--health-port', '0'];
  let worker = await spawnHost(config, { env: { ...svc.env, SHUTDOWN_MS: '5000' }, args: workerArgs, waitReady: false });
  try {
    await worker.waitForLog((l) => l.msg === 'consuming' && l.handler === 'exact');
    const ids = Array.from({ length: 8 }, (_, i) => `gs${i}`);
    for (const id of ids) assert.equal((await http('POST', `${publisher.url}/t/publish`, { id, mode: 'slow' })).status, 200);
    await svc.waitFor('first in flight', (l) => l.some((x) => x.type === 'handle' && x.handler === 'exact'));
    const firstPid = worker.child.pid;
    assert.equal(await worker.stop(), 0);
    const lines = svc.journal();
    const started = lines.filter((l) => l.type === 'handle' && l.handler === 'exact' && (l as { pid?: number }).pid === firstPid).map((l) => l.id!);
    assert.ok(started.length >= 1);
    for (const id of started) assert.equal(writes(lines, id).length, 1, `${id}, in flight at SIGTERM, finished before exit`);
    worker = await spawnHost(config, { env: svc.env, args: workerArgs, waitReady: false });
    await svc.waitFor('all written', (l) => ids.every((id) => writes(l, id).length >= 1), 20000);
  } finally {
    await worker.stop();
    await publisher.stop();
  }
});

test('amqp: jararaca-host dlq list and requeue round trip', async () => {
  const svc = suite.svc();
  const host = suite.host();
  const config = path.join(svc.dir, 'service.yaml');
  writeFileSync(svc.failFlag, '');
  await http('POST', `${host.url}/t/publish`, { id: 'cli1', mode: 'fail-while-flag' });
  await svc.waitFor('cli1 dead-lettered', (l) => handled(l, 'exact', 'cli1').length === 3);
  const listed = await eventually('dlq list to show cli1', async () => {
    const r = await runHost(['dlq', 'list', '--config', config, '--handler', 'exact', '--limit', '100'], { env: svc.env });
    assert.equal(r.code, 0, r.stderr);
    return r.stdout.includes('cli1') && r.stdout;
  }, { timeoutMs: 30_000 });
  assert.match(listed, /"error":"flag is set"/);
  rmSync(svc.failFlag);
  const requeued = await runHost(['dlq', 'requeue', '--config', config, '--handler', 'exact'], { env: svc.env });
  assert.equal(requeued.code, 0, requeued.stderr);
  assert.match(requeued.stdout, /requeued [1-9]\d* message/);
  await svc.waitFor('cli1 written', (l) => writes(l, 'cli1').length === 1);
  const after = await runHost(['dlq', 'list', '--config', config, '--handler', 'exact'], { env: svc.env });
  assert.doesNotMatch(after.stdout, /cli1/);
});
