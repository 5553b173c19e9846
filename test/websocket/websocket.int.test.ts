// WebSocket over Redis: two HTTP processes serving clients, a third process sending.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe } from 'node:test';
import { servers, spawnHost, uniqueName, type SpawnedHost } from '../support/host.ts';
import { websocketSuite, writeWsService } from './websocket-suite.ts';

describe('websocket over redis:// (three processes)', () => {
  const hosts: SpawnedHost[] = [];
  let config = '';
  before(async () => {
    config = writeWsService({ url: servers.redis, prefix: `${uniqueName('wstest')}:`, maxPayloadBytes: 4096, maxBufferedBytes: 262144 });
    hosts.push(...(await Promise.all([0, 1, 2].map(() => spawnHost(config, { args: ['--role', 'http'] })))));
  });
  after(async () => {
    const codes = await Promise.all(hosts.map((h) => h.stop()));
    rmSync(path.dirname(config), { recursive: true, force: true });
    assert.deepEqual(codes, [0, 0, 0], 'every process stopped cleanly');
  });
  websocketSuite(() => ({ a: hosts[0], b: hosts[1], sender: hosts[2] }));
});
