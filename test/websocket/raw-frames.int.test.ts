// Raw text and binary frames over redis://: sent by one process, delivered by another (the
// binary frame travels base64 in the Redis packet and arrives byte for byte).
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe } from 'node:test';
import { servers, spawnHost, uniqueName, type SpawnedHost } from '../support/host.ts';
import { rawFramesSuite, writeRawService } from './raw-frames-suite.ts';

describe('raw WebSocket frames over redis:// (two processes)', () => {
  const hosts: SpawnedHost[] = [];
  let config = '';
  before(async () => {
    config = writeRawService(servers.redis, `${uniqueName('wsraw')}:`);
    hosts.push(...(await Promise.all([0, 1].map(() => spawnHost(config, { args: ['--role', 'http'] })))));
  });
  after(async () => {
    const codes = await Promise.all(hosts.map((h) => h.stop()));
    rmSync(path.dirname(config), { recursive: true, force: true });
    assert.deepEqual(codes, [0, 0]);
  });
  rawFramesSuite(() => ({ serving: hosts[0], sender: hosts[1] }));
});
