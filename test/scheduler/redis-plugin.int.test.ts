// The built-in redis plugin from the outside: /health/ready follows the server's reachability
// (without the password), and validate describes it without connecting.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { freePort, http, runHost, servers, spawnHost, writeService } from '../support/host.ts';
import { eventually } from '../support/eventually.ts';

const controller = `import { Get, RestController } from 'jararaca';
@RestController('')
export class Ping {
  @Get('/ping')
  ping() {
    return { ok: true };
  }
}
`;

function service(url: string): string {
  return writeService({
    'service.yaml': `name: redis-health\ninterceptors:\n  - use: redis\n    with:\n      url: ${url}\ncontrollers:\n  - ./ping.ts\n`,
    'ping.ts': controller,
  });
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  await eventually(what, check, { timeoutMs, intervalMs: 100 });
}

test('an unreachable Redis does not stop the process: /health/ready is 503 naming it, without the password', async () => {
  const port = await freePort(); // nothing listens there
  const host = await spawnHost(`${service(`redis://user:secret@127.0.0.1:${port}`)}/service.yaml`, { args: ['--role', 'http'], waitReady: false });
  try {
    await until('/health/live', async () => (await http('GET', `${host.url}/health/live`).catch(() => undefined))?.status === 200);
    const ready = await http('GET', `${host.url}/health/ready`);
    assert.equal(ready.status, 503);
    assert.equal(ready.body.checks.redis.ready, false);
    assert.equal(ready.body.checks.redis.detail, `redis unreachable at redis://user:***@127.0.0.1:${port}`);
    assert.equal((await http('GET', `${host.url}/ping`)).status, 200);
    assert.doesNotMatch(host.output(), /secret/);
  } finally {
    await host.stop();
  }
});

test('a reachable Redis: ready; validate prints it without connecting', async () => {
  const dir = service(servers.redis);
  const host = await spawnHost(`${dir}/service.yaml`, { args: ['--role', 'http'] });
  try {
    const ready = await http('GET', `${host.url}/health/ready`);
    assert.equal(ready.status, 200);
    assert.equal(ready.body.checks.redis.ready, true);
  } finally {
    await host.stop();
  }
  const port = await freePort();
  const validate = await runHost(['validate', '--config', `${service(`redis://127.0.0.1:${port}`)}/service.yaml`]);
  assert.equal(validate.code, 0, validate.stderr);
  assert.match(validate.stdout, new RegExp(`^redis: redis://127\\.0\\.0\\.1:${port}$`, 'm'));
});
