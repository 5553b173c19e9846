// WebSocket sends from a `--role worker` process: a bus message handler calls useWsManager();
// clients on two `--role http` processes receive it, and a join from the worker for a
// connection held by an HTTP process works. Real RabbitMQ and Redis; names unique to this run.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import amqp from 'amqplib';
import { http, servers, spawnHost, uniqueName, writeService, type SpawnedHost } from '../support/host.ts';
import { TestClient } from './websocket-suite.ts';

const controller = `
import type { FastifyRequest } from 'fastify';
import { defineMessage, MessageBusController, MessageHandler, Post, RestController } from 'jararaca';
import { usePublisher } from 'jararaca/message-bus';
import { OnConnect, useWsManager, WebSocketEndpoint, type WsConnection } from 'jararaca/websocket';

const schema = { type: 'object', required: ['text'], properties: { text: { type: 'string' }, joinId: { type: 'string' }, room: { type: 'string' } } } as const;
const Notify = defineMessage({ name: 'Notify', topic: 'ws.notify', kind: 'event', schema });

@WebSocketEndpoint('/ws')
export class Live {
  @OnConnect()
  connect(connection: WsConnection) {
    return { type: 'hello', data: { connectionId: connection.id } };
  }
}

@RestController('/n')
export class Api {
  @Post('/notify')
  notify(request: FastifyRequest<{ Body: { text: string; joinId?: string; room?: string } }>) {
    usePublisher().publish(Notify, request.body);
  }

  @Post('/marker')
  marker(request: FastifyRequest<{ Body: { text: string } }>) {
    useWsManager().broadcast({ type: 'marker', data: request.body.text });
  }
}

@MessageBusController()
export class Worker {
  @MessageHandler(Notify, { name: 'notify' })
  notify(p: { text: string; joinId?: string; room?: string }) {
    const ws = useWsManager();
    if (p.joinId && p.room) {
      ws.join(p.joinId, p.room);
      ws.send(p.room, { type: 'from.worker.room', data: { text: p.text } });
    } else {
      ws.broadcast({ type: 'from.worker', data: { text: p.text } });
    }
  }
}
`;

describe('websocket: sends from a worker process', () => {
  const name = uniqueName('wsw').replace(/_/g, '-');
  const exchange = uniqueName('jrr_wsw_ex');
  const hosts: SpawnedHost[] = [];
  let a: SpawnedHost;
  let b: SpawnedHost;
  let dir = '';

  before(async () => {
    dir = writeService({
      'service.yaml': `name: ${name}
interceptors:
  - use: message-bus
    with: { url: ${JSON.stringify(servers.amqp)}, exchange: ${exchange} }
  - use: websocket
    with: { url: ${JSON.stringify(servers.redis)}, prefix: "${uniqueName('wsw')}:" }
controllers:
  - ./controller.ts
`,
      'controller.ts': controller,
    });
    const config = path.join(dir, 'service.yaml');
    const worker = await spawnHost(config, { args: ['--role', 'worker', '--health-port', '0'], waitReady: false });
    hosts.push(worker);
    await worker.waitForLog((l) => l.msg === 'consuming' && l.handler === 'notify', 30000);
    [a, b] = await Promise.all([spawnHost(config, { args: ['--role', 'http'] }), spawnHost(config, { args: ['--role', 'http'] })]);
    hosts.push(a, b);
  });

  after(async () => {
    await Promise.all(hosts.map((h) => h.stop()));
    rmSync(dir, { recursive: true, force: true });
    const conn = await amqp.connect(servers.amqp);
    try {
      const ch = await conn.createChannel();
      const queues = execFileSync('rabbitmqctl', ['-q', 'list_queues', '--no-table-headers', 'name'], { encoding: 'utf8' }).split('\n').map((s) => s.trim());
      for (const q of queues.filter((q) => q.startsWith(`${name}.`) || q.startsWith(`${exchange}.`))) await ch.deleteQueue(q);
      await ch.deleteExchange(exchange);
      await ch.deleteExchange(`${exchange}.delay`);
      await ch.close();
    } finally {
      await conn.close();
    }
  });

  test('clients on both HTTP processes receive what the worker sends; the worker joins a remote connection to a room', async () => {
    const [a1, b1] = [await TestClient.connect(a.url), await TestClient.connect(b.url)];
    try {
      assert.equal((await http('POST', `${a.url}/n/notify`, { text: 'hi' })).status, 204);
      assert.deepEqual(await a1.next(), { type: 'from.worker', data: { text: 'hi' } });
      assert.deepEqual(await b1.next(), { type: 'from.worker', data: { text: 'hi' } });

      assert.equal((await http('POST', `${a.url}/n/notify`, { text: 'room', joinId: b1.id, room: 'w' })).status, 204);
      assert.deepEqual(await b1.next(), { type: 'from.worker.room', data: { text: 'room' } });
      // a1 is in no room: its next frame is the marker sent afterwards.
      assert.equal((await http('POST', `${b.url}/n/marker`, { text: 'm' })).status, 204);
      assert.deepEqual(await a1.next(), { type: 'marker', data: 'm' });
      assert.deepEqual(await b1.next(), { type: 'marker', data: 'm' });
    } finally {
      a1.close();
      b1.close();
    }
  });
});
