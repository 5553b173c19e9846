// The generated WebSocket client and message publisher of examples/tasks compile under
// `tsc --strict` (a wrong call does not), and the WebSocket client receives the example's frames
// from a running example (and sends a typed message that the example answers).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, test } from 'node:test';
import { WebSocket } from 'ws';
import { http, repoRoot, spawnHost, type SpawnedHost } from '../support/host.ts';
import { generateExampleClients } from './generate-clients.ts';

let dir = '';
before(async () => {
  dir = await generateExampleClients();
});
after(() => rmSync(dir, { recursive: true, force: true }));

const tsc = (cwd: string) => spawnSync(path.join(repoRoot, 'node_modules/.bin/tsc'), ['-p', cwd], { cwd, encoding: 'utf8' });

test('the generated clients compile under tsc --strict; a wrong call does not', () => {
  writeFileSync(
    path.join(dir, 'use.ts'),
    `import { createPublisher } from './client/messages.ts';
import { WsWs } from './client/ws-ws.ts';
import { WebSocket } from 'ws';
const c = new WsWs('ws://127.0.0.1:1', { WebSocket: WebSocket as never, reconnect: false });
c.on('task.created', (task) => task.title.toUpperCase());
c.on('hello', (h) => h.connectionId.length);
c.send('task.watch', { id: 'x' });
const p = createPublisher({ publish: () => true });
p.publish('TaskCreated', { id: 'x' });
p.publish('HelloTask', { name: 'ana' });
c.close();
`,
  );
  const ok = tsc(dir);
  assert.equal(`${ok.stdout}${ok.stderr}`.trim(), '');
  assert.equal(ok.status, 0);
  const bad = readFileSync(path.join(dir, 'use.ts'), 'utf8').replace("p.publish('HelloTask', { name: 'ana' })", "p.publish('HelloTask', { name: 5 })").replace("c.send('task.watch', { id: 'x' })", "c.send('task.watch', { id: 5 })");
  writeFileSync(path.join(dir, 'use.ts'), bad);
  const wrong = tsc(dir);
  assert.notEqual(wrong.status, 0);
  assert.match(wrong.stdout, /use\.ts\(7,/, 'the wrong WebSocket message is an error');
  assert.match(wrong.stdout, /use\.ts\(10,/, 'the wrong payload is an error');
  rmSync(path.join(dir, 'use.ts'));
});

test('the generated WebSocket client receives the running example\'s frames and its typed message is answered', async () => {
  let host: SpawnedHost | undefined;
  try {
    host = await spawnHost(path.join(repoRoot, 'examples/tasks/service.yaml'), { args: ['--role', 'all'], env: { DATABASE_URL: undefined, AMQP_URL: undefined, REDIS_URL: undefined }, timeoutMs: 120000 });
    const { WsWs } = (await import(pathToFileURL(path.join(dir, 'client/ws-ws.ts')).href)) as typeof import('./fixtures/ws-client-shape.ts');
    const client = new WsWs(host.url.replace(/^http/, 'ws'), { WebSocket: WebSocket as never });
    const frames: Array<{ type: string; data: unknown; replyTo?: unknown }> = [];
    client.on('frame', (f: { type: string; data: unknown }) => frames.push(f));
    const waitFor = async (type: string) => {
      for (let i = 0; i < 300 && !frames.some((f) => f.type === type); i++) await new Promise((r) => setTimeout(r, 50));
      const found = frames.find((f) => f.type === type);
      assert.ok(found, `a '${type}' frame (got ${frames.map((f) => f.type).join(', ')})`);
      return found;
    };
    const hello = (await waitFor('hello')) as { data: { connectionId: string } };
    assert.equal(typeof hello.data.connectionId, 'string');
    const created = await http('POST', `${host.url}/tasks`, { title: 'generated client' });
    assert.equal(created.status, 201);
    const pushed = (await waitFor('task.created')) as { data: { id: string; title: string } };
    assert.equal(pushed.data.title, 'generated client');
    client.send('task.watch', { id: created.body.id }, 'w1');
    const watching = await waitFor('task.watching');
    assert.deepEqual(watching, { type: 'task.watching', data: { id: created.body.id }, replyTo: 'w1' });
    await waitFor('task.done'); // the worker marked it done (every role in one process)
    client.close();
  } finally {
    await host?.stop();
  }
});
