// Shared by test/websocket*.test.ts: a throwaway service with a WebSocket endpoint and routes
// that send through useWsManager(), a small `ws` client, and the behaviour suite that runs
// against the Redis backend (several processes) and the memory backend (one process).
import assert from 'node:assert/strict';
import { once } from 'node:events';
import path from 'node:path';
import { test } from 'node:test';
import { WebSocket } from 'ws';
import { http, writeService, type SpawnedHost } from '../support/host.ts';

export interface WsServiceOptions {
  url: string;
  prefix: string;
  maxPayloadBytes?: number;
  maxBufferedBytes?: number;
  maxConnections?: number;
  pingIntervalMs?: number;
  reconnectMaxDelayMs?: number;
  outageBuffer?: { maxMessages?: number; maxAgeMs?: number };
}

const controller = `
import type { FastifyRequest } from 'fastify';
import { Get, HttpError, Post, RestController } from 'jararaca';
import { defineWsMessage, OnClose, OnConnect, OnMessage, useWsManager, WebSocketEndpoint, WsClose, type WsConnection, type WsMessage } from 'jararaca/websocket';

const Join = defineWsMessage('room.join', { type: 'object', additionalProperties: false, required: ['room'], properties: { room: { type: 'string', minLength: 1 } } } as const);
const Echo = defineWsMessage('echo', { type: 'object', required: ['text'], properties: { text: { type: 'string' } } } as const);
const closed: string[] = [];

@WebSocketEndpoint('/ws')
export class Live {
  @OnConnect()
  connect(connection: WsConnection, request: FastifyRequest) {
    const token = (request.query as { token?: string }).token;
    if (token === 'bad') throw new WsClose(4401, 'unauthorized');
    connection.state.user = token ?? 'anonymous';
    return { type: 'hello', data: { connectionId: connection.id, pid: process.pid } };
  }

  @OnMessage(Join)
  join(data: typeof Join.Data, connection: WsConnection) {
    useWsManager().join(connection.id, data.room);
    return { type: 'room.joined', data: { room: data.room } };
  }

  @OnMessage(Echo)
  echo(data: typeof Echo.Data, connection: WsConnection) {
    return { type: 'echo', data: { text: data.text, user: connection.state.user } };
  }

  @OnMessage('explode')
  explode() {
    useWsManager().broadcast({ type: 'rolled.back' });
    throw new Error('boom after staging');
  }

  @OnClose()
  close(connection: WsConnection) {
    closed.push(connection.id);
  }
}

type Body<T> = FastifyRequest<{ Body: T }>;

@RestController('/send')
export class Sender {
  @Post('/broadcast')
  broadcast(request: Body<WsMessage>) {
    useWsManager().broadcast(request.body);
  }

  @Post('/rooms')
  rooms(request: Body<{ rooms: string[]; message: WsMessage }>) {
    useWsManager().send(request.body.rooms, request.body.message);
  }

  @Post('/to')
  to(request: Body<{ ids: string[]; message: WsMessage }>) {
    useWsManager().sendTo(request.body.ids, request.body.message);
  }

  @Post('/join')
  join(request: Body<{ id: string; rooms: string[] }>) {
    useWsManager().join(request.body.id, request.body.rooms);
  }

  @Post('/leave')
  leave(request: Body<{ id: string; rooms: string[] }>) {
    useWsManager().leave(request.body.id, request.body.rooms);
  }

  @Post('/fail')
  fail(request: Body<WsMessage>) {
    useWsManager().broadcast(request.body);
    throw HttpError.conflict('rolled back after staging');
  }

  @Post('/big')
  big(request: Body<{ n: number; size: number }>) {
    useWsManager().broadcast({ type: 'big', data: { n: request.body.n, pad: 'x'.repeat(request.body.size) } });
  }

  @Get('/closed')
  closedIds() {
    return { closed };
  }
}
`;

/** Writes the test service; returns the path of its service.yaml. */
export function writeWsService(options: WsServiceOptions): string {
  const { url, ...rest } = options;
  const withLines = Object.entries({ url, ...rest })
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `      ${k}: ${JSON.stringify(v)}`)
    .join('\n');
  const dir = writeService({
    'service.yaml': `name: ws-test\ninterceptors:\n  - use: websocket\n    with:\n${withLines}\ncontrollers:\n  - ./live.controller.ts\nhttp:\n  port: 0\n`,
    'live.controller.ts': controller,
  });
  return path.join(dir, 'service.yaml');
}

export interface Frame {
  type: string;
  data?: any;
  replyTo?: string | number;
}

/** A real `ws` client that queues what it receives. */
export class TestClient {
  readonly socket: WebSocket;
  readonly #frames: Frame[] = [];
  readonly #waiters: Array<() => void> = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  id = '';

  private constructor(socket: WebSocket) {
    this.socket = socket;
    socket.on('message', (raw) => {
      this.#frames.push(JSON.parse(raw.toString()) as Frame);
      for (const w of this.#waiters.splice(0)) w();
    });
    this.closed = new Promise((resolve) => socket.on('close', (code, reason) => {
      resolve({ code, reason: reason.toString() });
      for (const w of this.#waiters.splice(0)) w();
    }));
    socket.on('error', () => undefined);
  }

  /** Connects to `${baseUrl}/ws` and waits for the hello frame (its connection id). */
  static async connect(baseUrl: string, query = ''): Promise<TestClient> {
    const client = await TestClient.open(baseUrl, query);
    const hello = await client.next();
    assert.equal(hello.type, 'hello');
    client.id = hello.data.connectionId;
    return client;
  }

  /** Opens without waiting for hello (for refused connections). */
  static async open(baseUrl: string, query = ''): Promise<TestClient> {
    const socket = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/ws${query}`);
    const client = new TestClient(socket);
    await Promise.race([once(socket, 'open'), client.closed]);
    return client;
  }

  /** The next frame (fails after `timeoutMs` so a missing message fails the test instead of hanging it). */
  async next(timeoutMs = 15000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    while (!this.#frames.length) {
      if (this.socket.readyState === WebSocket.CLOSED) throw new Error(`connection ${this.id} closed while waiting for a frame`);
      if (Date.now() > deadline) throw new Error(`no frame within ${timeoutMs} ms on ${this.id}`);
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        setTimeout(resolve, 200);
      });
    }
    return this.#frames.shift()!;
  }

  send(value: unknown): void {
    this.socket.send(typeof value === 'string' ? value : JSON.stringify(value));
  }

  close(): void {
    this.socket.close();
  }
}

export interface SuiteTargets {
  /** Where the clients connect: two HTTP processes (or the same one twice, for memory://). */
  a: SpawnedHost;
  b: SpawnedHost;
  /** Another process that only sends (or the same one, for memory://). */
  sender: SpawnedHost;
}

/** The behaviour every backend must show. `targets()` is called once the `before` hook started them. */
export function websocketSuite(targets: () => SuiteTargets): void {
  let clients: TestClient[] = [];
  const connect = async (host: SpawnedHost, query = '') => {
    const c = await TestClient.connect(host.url, query);
    clients.push(c);
    return c;
  };
  const post = async (route: string, body: unknown) => {
    const res = await http('POST', `${targets().sender.url}/send/${route}`, body);
    return res.status;
  };
  /** Broadcasts a marker: proves each client received nothing else before (pass every open client). */
  const expectMarker = async (label: string, ...cs: TestClient[]) => {
    assert.equal(await post('broadcast', { type: 'marker', data: label }), 204);
    for (const c of cs) assert.deepEqual(await c.next(), { type: 'marker', data: label });
  };

  test.afterEach(() => {
    for (const c of clients) c.close();
    clients = [];
  });

  test('a broadcast from another process reaches clients on both HTTP processes', async () => {
    const { a, b } = targets();
    const [a1, b1] = [await connect(a), await connect(b)];
    assert.equal(await post('broadcast', { type: 'task.created', data: { id: 7 } }), 204);
    assert.deepEqual(await a1.next(), { type: 'task.created', data: { id: 7 } });
    assert.deepEqual(await b1.next(), { type: 'task.created', data: { id: 7 } });
  });

  test('rooms are isolated, and join/leave work for a connection held by another process', async () => {
    const { a, b } = targets();
    const [a1, a2, b1, b2] = [await connect(a), await connect(a), await connect(b), await connect(b)];
    // a1 joins itself through a client message; b1 is joined by the sender process.
    a1.send({ type: 'room.join', data: { room: 'r1' } });
    assert.deepEqual(await a1.next(), { type: 'room.joined', data: { room: 'r1' } });
    assert.equal(await post('join', { id: b1.id, rooms: ['r1'] }), 204);
    assert.equal(await post('join', { id: b2.id, rooms: ['r2'] }), 204);
    assert.equal(await post('rooms', { rooms: ['r1'], message: { type: 'in.r1' } }), 204);
    assert.deepEqual(await a1.next(), { type: 'in.r1' });
    assert.deepEqual(await b1.next(), { type: 'in.r1' });
    await expectMarker('after r1', a2, b2, a1, b1);

    assert.equal(await post('rooms', { rooms: ['r1', 'r2'], message: { type: 'in.r1.or.r2' } }), 204);
    for (const c of [a1, b1, b2]) assert.deepEqual(await c.next(), { type: 'in.r1.or.r2' }, 'each member once');
    await expectMarker('after r1+r2', a2, a1, b1, b2);

    assert.equal(await post('leave', { id: b1.id, rooms: ['r1'] }), 204);
    assert.equal(await post('rooms', { rooms: ['r1'], message: { type: 'in.r1.again' } }), 204);
    assert.deepEqual(await a1.next(), { type: 'in.r1.again' });
    await expectMarker('after leave', b1, a1, a2, b2);
  });

  test('sendTo reaches one connection wherever it is', async () => {
    const { a, b } = targets();
    const [a1, b1] = [await connect(a), await connect(b)];
    assert.equal(await post('to', { ids: [b1.id], message: { type: 'just.you' } }), 204);
    assert.deepEqual(await b1.next(), { type: 'just.you' });
    await expectMarker('after sendTo', a1, b1);
  });

  test('a failed execution sends nothing it staged', async () => {
    const { a, b } = targets();
    const [a1, b1] = [await connect(a), await connect(b)];
    assert.equal(await post('fail', { type: 'rolled.back' }), 409);
    await expectMarker('after failed route', a1, b1);
    // The same through a WebSocket message whose handler throws after staging.
    a1.send({ type: 'explode', id: 'x1' });
    assert.deepEqual(await a1.next(), { type: 'error', data: { code: 'JRR_WS_HANDLER_FAILED', message: "the 'explode' handler failed; see the server log" }, replyTo: 'x1' });
    await expectMarker('after failed message', a1, b1);
  });

  test('invalid messages get an error frame and the connection stays open', async () => {
    const a1 = await connect(targets().a, '?token=ana');
    a1.send('not json');
    assert.equal((await a1.next()).data.code, 'JRR_WS_BAD_JSON');
    a1.send({ data: 1 });
    assert.equal((await a1.next()).data.code, 'JRR_WS_BAD_MESSAGE');
    a1.send({ type: 'nope', id: 1 });
    const unknown = await a1.next();
    assert.equal(unknown.data.code, 'JRR_WS_UNKNOWN_TYPE');
    assert.equal(unknown.replyTo, 1);
    a1.send({ type: 'room.join', data: { room: '', extra: true }, id: 'j' });
    const invalid = await a1.next();
    assert.equal(invalid.type, 'error');
    assert.equal(invalid.data.code, 'JRR_WS_INVALID');
    assert.equal(invalid.replyTo, 'j');
    assert.ok(invalid.data.details.length >= 2, JSON.stringify(invalid.data));
    a1.send({ type: 'echo', data: { text: 'still here' }, id: 2 });
    assert.deepEqual(await a1.next(), { type: 'echo', data: { text: 'still here', user: 'ana' }, replyTo: 2 });
  });

  test('@OnConnect refuses with a close code; a too large frame closes with 1009', async () => {
    const refused = await TestClient.open(targets().a.url, '?token=bad');
    assert.deepEqual(await refused.closed, { code: 4401, reason: 'unauthorized' });
    const a1 = await connect(targets().a);
    a1.send({ type: 'echo', data: { text: 'x'.repeat(8192) } });
    assert.equal((await a1.closed).code, 1009);
  });

  test('a stalled client is closed (1013) and does not delay the others', async () => {
    const { a } = targets();
    const [healthy, stalled] = [await connect(a), await connect(a)];
    stalled.socket.pause(); // stops reading: the server's send buffer for it fills up
    let n = 0;
    const slowLogged = () => a.logs().some((l) => l.connectionId === stalled.id && String(l.msg).includes('too slow'));
    while (!slowLogged()) {
      assert.ok(n < 400, 'the stalled client was never closed');
      assert.equal(await post('big', { n, size: 64 * 1024 }), 204);
      const frame = await healthy.next();
      assert.equal(frame.type, 'big');
      assert.equal(frame.data.n, n);
      n++;
    }
    stalled.socket.resume();
    await stalled.closed;
    await expectMarker('after stall', healthy);
  });
}
