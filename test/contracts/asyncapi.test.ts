// `jararaca-host asyncapi`: the AsyncAPI 3 document of the tasks example passes @asyncapi/parser
// with no error or warning, and says what travels (bus channels with their AMQP bindings, queues
// per handler, the WebSocket endpoint with its messages both ways); a fresh declaration without
// any server running gets its document too.
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { Parser } from '@asyncapi/parser';
import { repoRoot, runHost, tempDir, writeService } from '../support/host.ts';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function generate(config: string, out: string) {
  // No broker, Redis or database is reachable from these URLs: nothing may connect.
  const env = { AMQP_URL: 'amqp://127.0.0.1:1', REDIS_URL: 'redis://127.0.0.1:1', DATABASE_URL: 'postgres://x:x@127.0.0.1:1/x' };
  const result = await runHost(['asyncapi', '--config', config, '--out', out], { env });
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(readFileSync(out, 'utf8'));
}

test('the tasks example: a valid AsyncAPI 3 document with the bus and the WebSocket', async () => {
  const dir = tempDir();
  dirs.push(dir);
  const doc = await generate(path.join(repoRoot, 'examples/tasks/service.yaml'), path.join(dir, 'asyncapi.json'));
  const { document, diagnostics } = await new Parser().parse(JSON.stringify(doc));
  const serious = diagnostics.filter((d) => d.severity <= 1).map((d) => `${d.code}: ${d.message} at ${d.path.join('/')}`);
  assert.deepEqual(serious, []);
  assert.ok(document, 'parsed');

  assert.equal(doc.asyncapi, '3.0.0');
  assert.equal(doc.info.title, 'tasks');
  // A message: its topic on the service's durable topic exchange.
  assert.equal(doc.channels.TaskCreated.address, 'tasks.created');
  assert.deepEqual(doc.channels.TaskCreated.bindings.amqp.exchange, { name: 'jararaca', type: 'topic', durable: true, autoDelete: false });
  assert.deepEqual(doc.components.messages.TaskCreated.payload.required, ['id']);
  // A handler: its durable queue and its receive operation; publishing as a send operation.
  assert.equal(doc.channels['queue.tasks.markDone'].bindings.amqp.queue.name, 'tasks.markDone');
  assert.equal(doc.channels['queue.tasks.markDone'].bindings.amqp.queue.durable, true);
  assert.equal(doc.operations.markDone.action, 'receive');
  assert.equal(doc.operations.markDone['x-jararaca-retry'].maxAttempts, 5);
  assert.equal(doc.operations.publishTaskCreated.action, 'send');
  assert.equal(doc.operations.publishTaskCreated.bindings.amqp.deliveryMode, 2);
  // The WebSocket endpoint, both directions.
  assert.equal(doc.channels['ws.ws'].address, '/ws');
  const inbound = doc.operations['ws.ws.receive'].messages.map((m: { $ref: string }) => m.$ref.split('/').pop());
  const outbound = doc.operations['ws.ws.send'].messages.map((m: { $ref: string }) => m.$ref.split('/').pop());
  assert.deepEqual(inbound, ['in.task.watch']);
  assert.deepEqual(outbound, ['out.hello', 'out.task.watching', 'out.task.created', 'out.task.done', 'out.error']);
  assert.equal(doc.components.messages['ws.ws.in.task.watch'].payload.properties.type.const, 'task.watch');
});

test('a fresh declaration (raw frames declared, nothing running): YAML output, raw frames in the document', async () => {
  const dir = writeService({
    'service.yaml': `name: fresh\ninterceptors:\n  - use: message-bus\n    with: { url: "amqp://127.0.0.1:1", exchange: events }\n  - use: websocket\n    with: { url: "redis://127.0.0.1:1" }\ncontrollers:\n  - ./c.ts\n`,
    'c.ts': `
import { defineMessage, MessageBusController, MessageHandler, type PayloadOf } from 'jararaca';
import { OnConnect, WebSocketEndpoint } from 'jararaca/websocket';
export const Ping = defineMessage({ name: 'Ping', topic: 'fresh.ping', kind: 'task', schema: { type: 'object', properties: { n: { type: 'integer' } } } as const });
@MessageBusController()
export class Pings {
  @MessageHandler(Ping, { topic: 'fresh.*' })
  async ping(p: PayloadOf<typeof Ping>) {}
}
@WebSocketEndpoint('/live/feed', { rawFrames: 'both' })
export class Feed {
  @OnConnect() connect() {}
}
`,
  });
  dirs.push(dir);
  const out = path.join(dir, 'asyncapi.yaml');
  const result = await runHost(['asyncapi', '--config', path.join(dir, 'service.yaml'), '--out', out]);
  assert.equal(result.code, 0, result.stderr);
  const text = readFileSync(out, 'utf8');
  const { document, diagnostics } = await new Parser().parse(text);
  assert.deepEqual(diagnostics.filter((d) => d.severity <= 1).map((d) => d.message), []);
  const doc = document!.json() as any;
  assert.equal(doc.channels.Ping.bindings.amqp.exchange.name, 'events');
  assert.deepEqual(doc.channels['queue.fresh.Pings.ping']['x-jararaca-bound-to'].routingKeys, ['fresh.*']);
  assert.equal(doc.channels['ws.live.feed'].address, '/live/feed');
  const sent = doc.operations['ws.live.feed.send'].messages.map((m: { name: string }) => m.name);
  assert.deepEqual(sent, ['raw.text', 'raw.binary']);
  assert.equal(doc.components.messages['ws.live.feed.out.raw.binary'].contentType, 'application/octet-stream');
});

test('asyncapi prints to stdout without --out; a bad option is a usage error', async () => {
  const ok = await runHost(['asyncapi', '--config', path.join(repoRoot, 'examples/tasks/service.yaml')]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(JSON.parse(ok.stdout).asyncapi, '3.0.0');
  const bad = await runHost(['asyncapi', '--nope']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /asyncapi: Unknown option '--nope'/);
});
