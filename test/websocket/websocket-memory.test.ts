// WebSocket over memory://: the same behaviour within one process; plus keep-alive and the
// connection limit, which do not depend on the backend.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { WebSocket } from 'ws';
import { http, spawnHost, uniqueName, type SpawnedHost } from '../support/host.ts';
import { eventually } from '../support/eventually.ts';
import { TestClient, websocketSuite, writeWsService } from './websocket-suite.ts';

const dirs: string[] = [];
const track = (config: string) => (dirs.push(path.dirname(config)), config);
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('websocket over memory:// (one process)', () => {
  let host: SpawnedHost;
  before(async () => {
    host = await spawnHost(track(writeWsService({ url: 'memory://', prefix: `${uniqueName('wsmem')}:`, maxPayloadBytes: 4096, maxBufferedBytes: 262144 })), { args: ['--role', 'http'] });
  });
  after(() => host.stop());
  websocketSuite(() => ({ a: host, b: host, sender: host }));
});

describe('websocket keep-alive and connection limit', () => {
  let host: SpawnedHost;
  before(async () => {
    host = await spawnHost(track(writeWsService({ url: 'memory://', prefix: 'x:', pingIntervalMs: 200, maxConnections: 2 })), { args: ['--role', 'http'] });
  });
  after(() => host.stop());

  test('past maxConnections the upgrade is refused with 503; a dead connection is cut and frees its slot', async () => {
    const live = await TestClient.connect(host.url);
    const dead = await TestClient.connect(host.url);
    const third = new WebSocket(`${host.url.replace('http', 'ws')}/ws`);
    third.on('error', () => undefined);
    const [, response] = (await once(third, 'unexpected-response')) as [unknown, { statusCode: number }];
    assert.equal(response.statusCode, 503);

    dead.socket.pause(); // reads nothing, so it never answers pings: like a vanished peer
    // The dead connection is cleaned up.
    const closed = await eventually('the dead connection to be cleaned up', async () => {
      const ids = (await http('GET', `${host.url}/send/closed`)).body.closed as string[];
      return ids.includes(dead.id) && ids;
    }, { intervalMs: 100 });
    assert.ok(!closed.includes(live.id), 'a live connection (answering pings) was cut');
    const again = await TestClient.connect(host.url);
    assert.equal((await http('POST', `${host.url}/send/broadcast`, { type: 'still.alive' })).status, 204);
    assert.deepEqual(await live.next(), { type: 'still.alive' });
    assert.deepEqual(await again.next(), { type: 'still.alive' });
    for (const c of [live, dead, again]) c.socket.terminate();
  });
});
