// jararaca-host as a user runs it: a spawned process, real HTTP, signals.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { http, repoRoot, spawnHost, writeService, type SpawnedHost } from '../support/host.ts';

describe('the tasks example over HTTP', () => {
  let host: SpawnedHost;
  before(async () => {
    // The example as a new user runs it: embedded defaults, whatever the test run exports.
    host = await spawnHost(path.join(repoRoot, 'examples/tasks/service.yaml'), { args: ['--role', 'http'], env: { DATABASE_URL: undefined, AMQP_URL: undefined, REDIS_URL: undefined } });
  });
  after(async () => {
    assert.equal(await host.stop(), 0);
  });

  test('POST /tasks creates a pending task with a UUID; GET /tasks/:id returns it; GET /tasks lists it', async () => {
    const created = await http('POST', `${host.url}/tasks`, { title: 'write the host' });
    assert.equal(created.status, 201);
    assert.match(created.body.id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.equal(created.body.title, 'write the host');
    assert.equal(created.body.status, 'pending');
    assert.ok(!Number.isNaN(Date.parse(created.body.createdAt)));

    const fetched = await http('GET', `${host.url}/tasks/${created.body.id}`);
    assert.equal(fetched.status, 200);
    assert.equal(fetched.body.id, created.body.id);

    const list = await http('GET', `${host.url}/tasks`);
    assert.equal(list.status, 200);
    assert.ok(list.body.total >= 1);
    assert.ok(list.body.items.some((t: { id: string }) => t.id === created.body.id));
  });

  test('a title that is empty, too long or missing is a 400 naming the field; nothing is created', async () => {
    const before = (await http('GET', `${host.url}/tasks`)).body.total;
    for (const body of [{ title: '' }, { title: 'x'.repeat(201) }, {}, { title: 42 }]) {
      const res = await http('POST', `${host.url}/tasks`, body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.match(res.body.message, /title/);
    }
    assert.equal((await http('GET', `${host.url}/tasks`)).body.total, before);
  });

  test('an unknown id is a 404', async () => {
    const res = await http('GET', `${host.url}/tasks/00000000-0000-4000-8000-000000000000`);
    assert.equal(res.status, 404);
  });

  test('/health/live and /health/ready answer', async () => {
    assert.equal((await http('GET', `${host.url}/health/live`)).status, 200);
    assert.equal((await http('GET', `${host.url}/health/ready`)).status, 200);
  });
});

describe('shutdown', () => {
  const files = {
    'slow.ts': `
import { Get, RestController } from 'jararaca';
@RestController('/')
export class Slow {
  @Get('/slow') async slow(request) { await new Promise((r) => setTimeout(r, Number(request.query.ms ?? 800))); return { done: true }; }
}
`,
    'stopper.ts': `
import { definePlugin } from 'jararaca';
export default definePlugin({
  name: 'stopper',
  options: { type: 'object', properties: { label: { type: 'string' } } },
  setup(ctx) { return { stop() { ctx.logger.info({ stopped: ctx.options.label }, 'plugin stopped'); } }; },
});
`,
    'service.yaml': `
name: shutdown
interceptors:
  - use: ./stopper.ts
    with: { label: first }
  - use: ./stopper.ts
    with: { label: second }
controllers: [./slow.ts]
http:
  shutdownTimeoutMs: 5000
`,
  };

  test('SIGTERM: in-flight requests finish, plugins stop in reverse order, exit 0', async () => {
    const dir = writeService(files);
    const host = await spawnHost(path.join(dir, 'service.yaml'), { args: ['--role', 'http'] });
    const inFlight = http('GET', `${host.url}/slow?ms=1000`);
    await new Promise((r) => setTimeout(r, 300));
    host.child.kill('SIGTERM');
    const res = await inFlight;
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { done: true });
    assert.equal(await host.exited, 0);
    const stopped = host.logs().filter((l) => l.msg === 'plugin stopped').map((l) => l.stopped);
    assert.deepEqual(stopped, ['second', 'first']);
  });

  test('past http.shutdownTimeoutMs, remaining requests are cut and the process still exits 0', async () => {
    const dir = writeService({ ...files, 'service.yaml': files['service.yaml'].replace('5000', '300') });
    const host = await spawnHost(path.join(dir, 'service.yaml'), { args: ['--role', 'http'] });
    const inFlight = http('GET', `${host.url}/slow?ms=20000`).catch((err: Error) => err);
    await new Promise((r) => setTimeout(r, 200));
    const t0 = Date.now();
    host.child.kill('SIGTERM');
    assert.equal(await host.exited, 0);
    assert.ok(Date.now() - t0 < 10000);
    assert.ok((await inFlight) instanceof Error);
  });
});

describe('one copy of the framework', () => {
  test('loading the built host and the sources in one process fails loudly with JRR_DUPLICATE_INSTANCE', () => {
    // scripts/test.sh builds dist/ before the tests run.
    assert.ok(existsSync(path.join(repoRoot, 'dist/host/index.js')), 'dist/ is missing: run npm run build');
    const script = `await import(${JSON.stringify(path.join(repoRoot, 'dist/host/index.js'))}); await import(${JSON.stringify(path.join(repoRoot, 'host/index.ts'))});`;
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: repoRoot, encoding: 'utf8' });
    assert.notEqual(run.status, 0);
    assert.match(run.stderr, /JRR_DUPLICATE_INSTANCE|two copies of jararaca are loaded/);
  });
});
