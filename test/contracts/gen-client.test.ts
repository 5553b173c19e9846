// `jararaca-host gen-client` for the tasks example: the output compiles under tsc --strict on its
// own (only openapi-fetch besides), a wrong call does not, the committed copy in examples/notes
// is current, and the client drives a running example in Node and in headless Chromium (REST, and
// the WebSocket client of /ws: its Node side is in client-async.test.ts).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { http, repoRoot, runHost, spawnHost, writeService, type SpawnedHost } from '../support/host.ts';

const example = path.join(repoRoot, 'examples/tasks/service.yaml');
const embedded = { DATABASE_URL: undefined, AMQP_URL: undefined, REDIS_URL: undefined };
const tsc = path.join(repoRoot, 'node_modules/typescript/bin/tsc');

function typecheck(dir: string, files: string[], extra: Record<string, unknown> = {}): { code: number | null; output: string } {
  const config = { compilerOptions: { strict: true, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', lib: ['ES2022', 'DOM'], skipLibCheck: false, noEmit: true, ...extra }, files };
  writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify(config));
  const result = spawnSync(process.execPath, [tsc, '-p', path.join(dir, 'tsconfig.json')], { encoding: 'utf8' });
  return { code: result.status, output: result.stdout + result.stderr };
}

describe('the generated client of the tasks example', () => {
  let dir: string;
  let host: SpawnedHost;
  before(async () => {
    // Inside the repository, so 'openapi-fetch' resolves from its node_modules like a project's would.
    dir = writeService({ 'package.json': '{ "type": "module" }' });
    const [generated, spawned] = await Promise.all([
      runHost(['gen-client', '--config', example, '--out', path.join(dir, 'client')], { env: embedded }),
      spawnHost(example, { args: ['--role', 'http'], env: { ...embedded, TASKS_API_KEY: 'test-api-key' }, timeoutMs: 120000 }),
    ]);
    host = spawned;
    assert.equal(generated.code, 0, generated.stderr);
  });
  after(async () => {
    await host?.stop();
  });

  test('compiles under tsc --strict with only openapi-fetch; typed calls check, a wrong one does not', () => {
    writeFileSync(path.join(dir, 'use.ts'), `
import { createTasksClient, type TasksCreateResponse, type ErrorResponse } from './client/index.js';
const client = createTasksClient({ baseUrl: 'http://127.0.0.1:1' });
export async function use(): Promise<void> {
  const { data, error } = await client.tasksCreate({ body: { title: 'a' } });
  if (data) { const task: TasksCreateResponse = data; const status: 'pending' | 'done' = task.status; void status; }
  if (error) { const body: ErrorResponse = error; void body.message; }
  const got = await client.tasksGet({ params: { path: { id: 'x' } } });
  void got.data?.title;
  await client.tasksRemove({ params: { path: { id: 'x' } }, headers: { 'x-api-key': 'k' } });
  await client.tasksList();
}
`);
    const ok = typecheck(dir, ['use.ts']);
    assert.equal(ok.code, 0, ok.output);
    const imports = readdirSync(path.join(dir, 'client')).flatMap((f) => [...readFileSync(path.join(dir, 'client', f), 'utf8').matchAll(/^(?:import|export)[^;]*from '([^']+)'/gm)].map((m) => m[1]));
    assert.deepEqual([...new Set(imports.filter((s) => !s.startsWith('./')))], ['openapi-fetch']);

    writeFileSync(path.join(dir, 'wrong.ts'), `
import { createTasksClient } from './client/index.js';
await createTasksClient().tasksCreate({ body: { title: 5 } });
`);
    const wrong = typecheck(dir, ['wrong.ts']);
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.output, /wrong\.ts\(3,\d+\): error TS2322: Type 'number' is not assignable to type 'string'/);
    writeFileSync(path.join(dir, 'missing.ts'), `
import { createTasksClient } from './client/index.js';
await createTasksClient().tasksGet({});
`);
    assert.match(typecheck(dir, ['missing.ts']).output, /missing\.ts\(3,\d+\): error TS2345: Argument of type '\{\}' is not assignable/);
  });

  test('the copy in examples/notes/tasks-client is what gen-client writes now', () => {
    for (const file of readdirSync(path.join(dir, 'client'))) {
      assert.equal(readFileSync(path.join(repoRoot, 'examples/notes/tasks-client', file), 'utf8'), readFileSync(path.join(dir, 'client', file), 'utf8'), `${file} is stale: run jararaca-host gen-client --config examples/tasks/service.yaml --out examples/notes/tasks-client`);
    }
  });

  test('drives the running example from Node: create, get, delete with the API key', async () => {
    const { createTasksClient } = (await import(pathToFileURL(path.join(dir, 'client/index.ts')).href)) as typeof import('../../examples/notes/tasks-client/index.ts');
    const client = createTasksClient({ baseUrl: host.url });
    const created = await client.tasksCreate({ body: { title: 'from the generated client' } });
    assert.equal(created.response.status, 201);
    assert.equal(created.data?.title, 'from the generated client');
    const id = created.data!.id;
    assert.equal((await client.tasksGet({ params: { path: { id } } })).data?.id, id);

    const invalid = await client.tasksCreate({ body: { title: '' } });
    assert.equal(invalid.response.status, 400);
    assert.equal(invalid.error?.code, 'JRR_VALIDATION');

    const anonymous = await client.tasksRemove({ params: { path: { id } } });
    assert.equal(anonymous.response.status, 401);
    assert.match(anonymous.error?.message ?? '', /x-api-key/);
    const removed = await client.tasksRemove({ params: { path: { id } }, headers: { 'x-api-key': 'test-api-key' } });
    assert.equal(removed.response.status, 204);
    assert.equal(removed.error, undefined);
    const gone = await client.tasksGet({ params: { path: { id } } });
    assert.equal(gone.response.status, 404);
    assert.equal(gone.error?.statusCode, 404);
  });

  test('drives the running example from headless Chromium, and /docs renders every operation there', async () => {
    // The client compiled to JavaScript as a web app would ship it; openapi-fetch from node_modules.
    const web = path.join(dir, 'web');
    const built = typecheck(dir, ['client/index.ts'], { noEmit: false, outDir: web, rootDir: dir, declaration: false });
    assert.equal(built.code, 0, built.output);
    const files: Record<string, string> = {
      'index.html': `<!doctype html><script type="importmap">{ "imports": { "openapi-fetch": "/__client/openapi-fetch.mjs" } }</script><script type="module">import * as client from '/__client/client/index.js'; window.tasksClient = client;</script>`,
      'openapi-fetch.mjs': readFileSync(path.join(repoRoot, 'node_modules/openapi-fetch/dist/index.mjs'), 'utf8'),
      'client/index.js': readFileSync(path.join(web, 'client/index.js'), 'utf8'),
      'client/rest.js': readFileSync(path.join(web, 'client/rest.js'), 'utf8'),
    };
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
    try {
      const page = await browser.newPage();
      const foreign: string[] = [];
      page.on('request', (r) => {
        if (!r.url().startsWith(host.url)) foreign.push(r.url());
      });
      // The page and its scripts are served on the example's own origin (no CORS needed).
      await page.route(`${host.url}/__client/**`, (route) => {
        const name = new URL(route.request().url()).pathname.slice('/__client/'.length);
        const body = files[name];
        return body === undefined ? route.fulfill({ status: 404 }) : route.fulfill({ status: 200, contentType: name.endsWith('.html') ? 'text/html' : 'text/javascript', body });
      });
      await page.goto(`${host.url}/__client/index.html`);
      await page.waitForFunction(() => 'tasksClient' in window);
      const result = await page.evaluate(async (baseUrl) => {
        type Client = typeof import('../../examples/notes/tasks-client/index.ts');
        const { createTasksClient } = (window as unknown as { tasksClient: Client }).tasksClient;
        const client = createTasksClient({ baseUrl });
        const created = await client.tasksCreate({ body: { title: 'from Chromium' } });
        const id = created.data!.id;
        const got = await client.tasksGet({ params: { path: { id } } });
        const removed = await client.tasksRemove({ params: { path: { id } }, headers: { 'x-api-key': 'test-api-key' } });
        return { created: created.response.status, title: got.data?.title, removed: removed.response.status };
      }, host.url);
      assert.deepEqual(result, { created: 201, title: 'from Chromium', removed: 204 });

      await page.goto(`${host.url}/docs`);
      await page.waitForSelector('.opblock');
      assert.equal(await page.locator('.opblock').count(), 5);
      assert.deepEqual(foreign, []);
    } finally {
      await browser.close();
    }
  });

  test('the WebSocket client drives the running example from headless Chromium: hello, a pushed task.created, a typed message answered', async () => {
    // ws-ws.ts compiled to JavaScript as a web app would ship it; the browser's own WebSocket.
    const web = path.join(dir, 'web-ws');
    const built = typecheck(dir, ['client/ws-ws.ts'], { noEmit: false, outDir: web, rootDir: dir, declaration: false });
    assert.equal(built.code, 0, built.output);
    const files: Record<string, string> = {
      'index.html': `<!doctype html><script type="module">import * as ws from '/__client/client/ws-ws.js'; window.wsClient = ws;</script>`,
      'client/ws-ws.js': readFileSync(path.join(web, 'client/ws-ws.js'), 'utf8'),
    };
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
    try {
      // A page fulfilled by interception counts as public to Chromium's local network access
      // checks, which then block its WebSocket to 127.0.0.1; a page the service served itself would not.
      const page = await (await browser.newContext({ permissions: ['local-network-access'] })).newPage();
      await page.route(`${host.url}/__client/**`, (route) => {
        const name = new URL(route.request().url()).pathname.slice('/__client/'.length);
        const body = files[name];
        return body === undefined ? route.fulfill({ status: 404 }) : route.fulfill({ status: 200, contentType: name.endsWith('.html') ? 'text/html' : 'text/javascript', body });
      });
      await page.goto(`${host.url}/__client/index.html`);
      await page.waitForFunction(() => 'wsClient' in window);
      type Shape = typeof import('./fixtures/ws-client-shape.ts');
      type Frame = { type: string; data: Record<string, unknown>; replyTo?: unknown };
      await page.evaluate((base) => {
        const { WsWs } = (window as unknown as { wsClient: Shape }).wsClient;
        const client = new WsWs(base);
        const frames: Frame[] = [];
        client.on('frame', (f: Frame) => frames.push(f));
        Object.assign(window, { client, frames });
      }, host.url.replace(/^http/, 'ws'));
      const frame = async (type: string): Promise<Frame> => {
        await page.waitForFunction((t) => (window as unknown as { frames: Frame[] }).frames.some((f) => f.type === t), type, { timeout: 15000 });
        return page.evaluate((t) => (window as unknown as { frames: Frame[] }).frames.find((f) => f.type === t)!, type);
      };
      const hello = await frame('hello');
      assert.equal(typeof hello.data.connectionId, 'string');
      const created = await http('POST', `${host.url}/tasks`, { title: 'seen in Chromium' });
      assert.equal(created.status, 201);
      const pushed = await frame('task.created');
      assert.equal(pushed.data.title, 'seen in Chromium');
      await page.evaluate((id) => (window as unknown as { client: { send(type: string, data: unknown, id?: string): void } }).client.send('task.watch', { id }, 'w1'), created.body.id as string);
      assert.deepEqual(await frame('task.watching'), { type: 'task.watching', data: { id: created.body.id }, replyTo: 'w1' });
      await page.evaluate(() => (window as unknown as { client: { close(): void } }).client.close());
    } finally {
      await browser.close();
    }
  });
});
