// Raw text and binary frames over memory:// (one process).
import { rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe } from 'node:test';
import { spawnHost, type SpawnedHost } from '../support/host.ts';
import { rawFramesSuite, writeRawService } from './raw-frames-suite.ts';

describe('raw WebSocket frames over memory://', () => {
  let host: SpawnedHost;
  let config = '';
  before(async () => {
    config = writeRawService('memory://', 'raw:');
    host = await spawnHost(config, { args: ['--role', 'http'] });
  });
  after(async () => {
    await host.stop();
    rmSync(path.dirname(config), { recursive: true, force: true });
  });
  rawFramesSuite(() => ({ serving: host, sender: host }));
});
