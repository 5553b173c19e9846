// Redis outage: this file runs its OWN redis-server (the shared one stays up for other tests),
// kills it while clients are connected, and restarts it. Chosen behaviour (docs/websocket.md):
// HTTP keeps serving, /health/ready says not ready, sends during the outage wait in the outage
// buffer and arrive in order once Redis is back; past the buffer's bound they are dropped with a
// JRR_WS_DROPPED warning.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { connect } from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freePort, http, spawnHost, uniqueName, type SpawnedHost } from '../support/host.ts';
import { eventually } from '../support/eventually.ts';
import { TestClient, writeWsService } from './websocket-suite.ts';

async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const listening = () =>
    new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1', () => {
        s.end();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
  try {
    await eventually(`redis-server to listen on port ${port}`, listening, { timeoutMs: 5000 });
    return child;
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
}

function waitForStatus(url: string, status: number): Promise<{ status: number; body: any }> {
  return eventually(`${url} to answer ${status}`, async () => {
    const res = await http('GET', url);
    return res.status === status && res;
  }, { timeoutMs: 30_000, intervalMs: 100 });
}

describe('websocket through a Redis outage', () => {
  let redis: ChildProcess | undefined;
  let port: number;
  let config = '';
  const hosts: SpawnedHost[] = [];
  before(async () => {
    port = await freePort();
    redis = await startRedis(port);
    config = writeWsService({ url: `redis://127.0.0.1:${port}`, prefix: `${uniqueName('wsout')}:`, reconnectMaxDelayMs: 300, outageBuffer: { maxMessages: 2 } });
    hosts.push(...(await Promise.all([0, 1].map(() => spawnHost(config, { args: ['--role', 'http'] })))));
  });
  after(async () => {
    await Promise.all(hosts.map((h) => h.stop()));
    redis?.kill('SIGKILL');
    rmSync(path.dirname(config), { recursive: true, force: true });
  });

  test('HTTP keeps serving, health reflects the outage, sends wait in the buffer (past its bound dropped), delivered in order after restart', async () => {
    const [a, sender] = hosts;
    const client = await TestClient.connect(a.url);
    assert.equal((await http('POST', `${sender.url}/send/broadcast`, { type: 'before' })).status, 204);
    assert.deepEqual(await client.next(), { type: 'before' });

    redis!.kill('SIGKILL');
    await once(redis!, 'exit');
    const down = await waitForStatus(`${a.url}/health/ready`, 503);
    assert.match(down.body.checks.websocket.detail, /unreachable|re-subscribing/);
    assert.equal((await http('GET', `${a.url}/health/live`)).status, 200);

    // Sending still answers the request; the messages wait (maxMessages 2), the third is dropped with a warning.
    assert.equal((await http('POST', `${sender.url}/send/broadcast`, { type: 'during.outage.1' })).status, 204);
    assert.equal((await http('POST', `${sender.url}/send/broadcast`, { type: 'during.outage.2' })).status, 204);
    assert.equal((await http('POST', `${sender.url}/send/broadcast`, { type: 'beyond.the.bound' })).status, 204);
    const warning = await sender.waitForLog((l) => l.code === 'JRR_WS_DROPPED');
    assert.match(String(warning.msg), /dropped: the outage buffer is full/);
    // The connection itself is untouched: local replies need no Redis.
    client.send({ type: 'echo', data: { text: 'offline' } });
    assert.deepEqual(await client.next(), { type: 'echo', data: { text: 'offline', user: 'anonymous' } });
    // A room joined during the outage by this process's own client still counts afterwards.
    client.send({ type: 'room.join', data: { room: 'joined.offline' } });
    assert.deepEqual(await client.next(), { type: 'room.joined', data: { room: 'joined.offline' } });

    redis = await startRedis(port);
    await waitForStatus(`${a.url}/health/ready`, 200);
    await waitForStatus(`${sender.url}/health/ready`, 200);
    assert.deepEqual(await client.next(), { type: 'during.outage.1' }, 'the buffered messages arrive, in order');
    assert.deepEqual(await client.next(), { type: 'during.outage.2' });
    assert.equal((await http('POST', `${sender.url}/send/broadcast`, { type: 'after.restart' })).status, 204);
    assert.deepEqual(await client.next(), { type: 'after.restart' }, 'the one past the bound was dropped; delivery resumed');
    assert.equal((await http('POST', `${sender.url}/send/rooms`, { rooms: ['joined.offline'], message: { type: 'room.after.restart' } })).status, 204);
    assert.deepEqual(await client.next(), { type: 'room.after.restart' });
    client.close();
  });
});
