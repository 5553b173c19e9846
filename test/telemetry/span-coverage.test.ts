// The root spans of the kinds the cross-process test does not see, on one spawned host with every
// role and the in-memory engines (no servers): a scheduled run (action, slot, lag), a WebSocket
// message (path, type, a send it makes as a child), and a message declared `trace: 'link'`,
// whose consumer span starts its own trace linked to the publish (a default message's consumer
// is the publish's child, for contrast).
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { WebSocket } from 'ws';
import { eventually } from '../support/eventually.ts';
import { http, spawnHost, writeService, type SpawnedHost } from '../support/host.ts';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from './otlp-receiver.ts';

const controllers = `
import { defineMessage, MessageBusController, MessageHandler, Post, RestController, ScheduledAction, type ScheduledFire } from 'jararaca';
import { usePublisher } from 'jararaca/message-bus';

const payload = { type: 'object', required: ['n'], properties: { n: { type: 'integer' } } } as const;
export const Linked = defineMessage({ name: 'Linked', topic: 'cov.linked', kind: 'event', schema: payload, trace: 'link' });
export const Child = defineMessage({ name: 'Child', topic: 'cov.child', kind: 'event', schema: payload });

@RestController('/cov')
export class Cov {
  @Post('/publish')
  publish() {
    usePublisher().publish(Linked, { n: 1 });
    usePublisher().publish(Child, { n: 2 });
    return { ok: true };
  }

  @ScheduledAction('* * * * * *', { name: 'everySecond' })
  tick(_fire: ScheduledFire) {}
}

@MessageBusController()
export class Consumers {
  @MessageHandler(Linked, { name: 'onLinked' })
  async onLinked() {}

  @MessageHandler(Child, { name: 'onChild' })
  async onChild() {}
}
`;

const endpoint = `
import { OnMessage, WebSocketEndpoint, defineWsMessage, useWsManager, type WsConnection } from 'jararaca/websocket';
const Ping = defineWsMessage('ping', { type: 'object', required: ['n'], properties: { n: { type: 'integer' } } } as const);
const Pong = defineWsMessage('pong', { type: 'object', required: ['n'], properties: { n: { type: 'integer' } } } as const);
@WebSocketEndpoint('/live', { messages: [Ping], sends: [Pong] })
export class Live {
  @OnMessage(Ping)
  ping(data: typeof Ping.Data, connection: WsConnection) {
    // Through the manager (staged, flushed after the handler): the 'websocket send' span.
    useWsManager().sendTo(connection.id, Pong.create({ n: data.n + 1 }));
    return Pong.create({ n: data.n });
  }
}
`;

const yaml = `name: coverage
interceptors:
  - use: telemetry
    with:
      exporter: { protocol: http/json }
  - use: config
  - use: message-bus
    with: { url: "memory://" }
  - use: websocket
    with: { url: "memory://" }
controllers:
  - ./cov.ts
  - ./live.ts
`;

describe('telemetry: scheduled, WebSocket and linked-message spans', () => {
  let receiver: OtlpReceiver;
  let host: SpawnedHost;
  before(async () => {
    receiver = await startOtlpReceiver();
    const dir = writeService({ 'cov.ts': controllers, 'live.ts': endpoint, 'service.yaml': yaml });
    host = await spawnHost(path.join(dir, 'service.yaml'), {
      args: ['--role', 'all'],
      env: { DATABASE_URL: undefined, AMQP_URL: undefined, REDIS_URL: undefined, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '50' },
    });
  });
  after(async () => {
    if (host) assert.equal(await host.stop(), 0, host.output().slice(-3000));
    await receiver?.close();
  });

  const span = (what: string, predicate: (s: ReceivedSpan) => boolean) => eventually(what, () => receiver.spans.find(predicate), { timeoutMs: 15000, intervalMs: 50 });

  test('a scheduled run is a root span named by its action, with the slot, cron and lag', async () => {
    const run = await span('a scheduled run span', (s) => s.name === 'scheduled everySecond');
    assert.equal(run.kind, 1); // INTERNAL
    assert.equal(run.parentSpanId, undefined);
    assert.equal(run.attributes['jararaca.execution.kind'], 'scheduled');
    assert.equal(run.attributes['jararaca.handler'], 'Cov.tick');
    assert.equal(run.attributes['jararaca.scheduled.action'], 'everySecond');
    assert.equal(run.attributes['jararaca.scheduled.cron'], '* * * * * *');
    const slot = String(run.attributes['jararaca.scheduled.slot']);
    assert.equal(new Date(slot).toISOString(), slot);
    assert.equal(new Date(slot).getUTCMilliseconds(), 0, 'the slot is a whole second of the cron');
    assert.equal(typeof run.attributes['jararaca.scheduled.lag_ms'], 'number');
    assert.ok((run.attributes['jararaca.scheduled.lag_ms'] as number) >= 0);
  });

  test('a WebSocket message is a server span named by path and type; a send it makes is a child span', async () => {
    const socket = new WebSocket(`${host.url.replace(/^http/, 'ws')}/live`);
    try {
      await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
      const frames: unknown[] = [];
      socket.on('message', (data) => frames.push(JSON.parse(String(data))));
      socket.send(JSON.stringify({ type: 'ping', data: { n: 7 }, id: 'p1' }));
      await eventually('the reply and the sent pong', () => frames.some((f) => (f as { replyTo?: string }).replyTo === 'p1') && frames.some((f) => (f as { data?: { n?: number } }).data?.n === 8), { timeoutMs: 10000, intervalMs: 20 });
    } finally {
      socket.close();
    }
    const message = await span('the WebSocket message span', (s) => s.name === 'websocket /live ping');
    assert.equal(message.kind, 2); // SERVER
    assert.equal(message.attributes['jararaca.execution.kind'], 'websocket');
    assert.equal(message.attributes['jararaca.websocket.path'], '/live');
    assert.equal(message.attributes['jararaca.websocket.event'], 'message');
    assert.equal(message.attributes['jararaca.websocket.message_type'], 'ping');
    assert.equal(message.attributes['jararaca.websocket.message_id'], 'p1');
    assert.equal(typeof message.attributes['jararaca.websocket.connection_id'], 'string');
    const send = await span('the send span', (s) => s.name === 'websocket send' && s.parentSpanId === message.spanId);
    assert.equal(send.traceId, message.traceId);
    assert.equal(send.attributes['jararaca.websocket.method'], 'sendTo');
  });

  test("trace: 'link': the consumer starts its own trace, linked to the publish; a default message's consumer is the publish's child", async () => {
    const res = await http('POST', `${host.url}/cov/publish`, {});
    assert.equal(res.status, 200);
    const traceId = /^00-([0-9a-f]{32})-/.exec(res.headers.get('traceresponse') ?? '')?.[1];
    assert.ok(traceId);
    const linkedPublish = await span('the Linked publish', (s) => s.traceId === traceId && s.name === 'publish cov.linked');
    const childPublish = await span('the Child publish', (s) => s.traceId === traceId && s.name === 'publish cov.child');

    const linked = await span('the Linked consumer span', (s) => s.name === 'process Linked');
    assert.notEqual(linked.traceId, traceId, 'a trace of its own');
    assert.equal(linked.parentSpanId, undefined, 'no parent');
    assert.equal(linked.kind, 5); // CONSUMER
    assert.deepEqual(linked.links?.map((l) => [l.traceId, l.spanId]), [[traceId, linkedPublish.spanId]], 'linked to the publish span');
    assert.equal(linked.attributes['messaging.message.id'], linkedPublish.attributes['messaging.message.id']);

    const child = await span('the Child consumer span', (s) => s.name === 'process Child');
    assert.equal(child.traceId, traceId);
    assert.equal(child.parentSpanId, childPublish.spanId);
    assert.ok(!child.links?.length);
  });
});
