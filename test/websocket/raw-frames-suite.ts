// Shared by raw-frames.test.ts (memory://, one process) and raw-frames.int.test.ts (Redis, a
// sending process and a serving one): useWsManager() sends raw text and binary frames (the
// reference's `broadcast(b"New Task Created")`), staged like messages, byte for byte.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import path from 'node:path';
import { test } from 'node:test';
import { WebSocket } from 'ws';
import { http, writeService, type SpawnedHost } from '../support/host.ts';

const controller = `
import type { FastifyRequest } from 'fastify';
import { HttpError, Post, RestController } from 'jararaca';
import { OnConnect, useWsManager, WebSocketEndpoint, type WsConnection } from 'jararaca/websocket';

@WebSocketEndpoint('/ws', { rawFrames: 'both' })
export class Live {
  @OnConnect()
  connect(connection: WsConnection) {
    useWsManager().join(connection.id, 'all');
    return { type: 'hello', data: { connectionId: connection.id } };
  }
}

type Raw = FastifyRequest<{ Body: { text?: string; base64?: string; id?: string } }>;
const frame = (b: Raw['body']) => (b.base64 !== undefined ? new Uint8Array(Buffer.from(b.base64, 'base64')) : b.text!);

@RestController('/raw')
export class Sender {
  @Post('/broadcast')
  broadcast(request: Raw) {
    useWsManager().broadcast(frame(request.body));
  }

  @Post('/rooms')
  rooms(request: Raw) {
    useWsManager().send('all', request.body.base64 !== undefined ? Buffer.from(request.body.base64, 'base64') : request.body.text!);
  }

  @Post('/to')
  to(request: Raw) {
    useWsManager().sendTo(request.body.id!, frame(request.body));
  }

  @Post('/fail')
  fail(request: Raw) {
    useWsManager().broadcast(frame(request.body));
    throw HttpError.conflict('rolled back after staging');
  }

  @Post('/bad')
  bad() {
    try {
      useWsManager().broadcast(42 as never);
    } catch (err) {
      return { code: (err as { code: string }).code };
    }
    return { code: 'none' };
  }
}
`;

export function writeRawService(url: string, prefix: string): string {
  const dir = writeService({
    'service.yaml': `name: ws-raw\ninterceptors:\n  - use: websocket\n    with:\n      url: ${JSON.stringify(url)}\n      prefix: ${JSON.stringify(prefix)}\ncontrollers:\n  - ./live.controller.ts\nhttp:\n  port: 0\n`,
    'live.controller.ts': controller,
  });
  return path.join(dir, 'service.yaml');
}

interface Received {
  binary: boolean;
  bytes: Buffer;
}

/** A real `ws` client keeping every frame with its kind (text or binary). */
class RawClient {
  readonly frames: Received[] = [];
  id = '';
  constructor(readonly socket: WebSocket) {
    socket.on('message', (raw, isBinary) => this.frames.push({ binary: isBinary, bytes: Buffer.isBuffer(raw) ? raw : Buffer.concat(raw as Buffer[]) }));
    socket.on('error', () => undefined);
  }

  static async connect(baseUrl: string): Promise<RawClient> {
    const client = new RawClient(new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/ws`));
    await once(client.socket, 'open');
    const hello = await client.next();
    client.id = (JSON.parse(hello.bytes.toString()) as { data: { connectionId: string } }).data.connectionId;
    return client;
  }

  async next(timeoutMs = 15000): Promise<Received> {
    const deadline = Date.now() + timeoutMs;
    while (!this.frames.length) {
      if (Date.now() > deadline) throw new Error(`no frame within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return this.frames.shift()!;
  }
}

export function rawFramesSuite(targets: () => { serving: SpawnedHost; sender: SpawnedHost }): void {
  const post = (route: string, body: unknown) => http('POST', `${targets().sender.url}/raw/${route}`, body);
  const clients: RawClient[] = [];
  const connect = async () => {
    const c = await RawClient.connect(targets().serving.url);
    clients.push(c);
    return c;
  };
  test.afterEach(() => {
    for (const c of clients.splice(0)) c.socket.close();
  });

  test('broadcast of a string arrives as a text frame, as it is (the reference\'s "New Task Created")', async () => {
    const c = await connect();
    assert.equal((await post('broadcast', { text: 'New Task Created' })).status, 204);
    const f = await c.next();
    assert.equal(f.binary, false);
    assert.equal(f.bytes.toString('utf8'), 'New Task Created');
  });

  test('a Uint8Array or Buffer arrives as a binary frame, byte for byte (every byte value, non-UTF-8 included)', async () => {
    const c = await connect();
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    assert.equal((await post('broadcast', { base64: all.toString('base64') })).status, 204);
    const f = await c.next();
    assert.equal(f.binary, true);
    assert.deepEqual(f.bytes, all);
    assert.equal((await post('rooms', { base64: Buffer.from([0xff, 0x00, 0xfe]).toString('base64') })).status, 204);
    const g = await c.next();
    assert.equal(g.binary, true);
    assert.deepEqual(g.bytes, Buffer.from([0xff, 0x00, 0xfe]));
  });

  test('sendTo with a raw frame reaches that connection only; frames keep their order among kinds', async () => {
    const [c1, c2] = [await connect(), await connect()];
    assert.equal((await post('to', { id: c2.id, text: 'only you' })).status, 204);
    assert.equal((await post('to', { id: c2.id, base64: Buffer.from('bin').toString('base64') })).status, 204);
    assert.equal((await post('broadcast', { text: 'marker' })).status, 204);
    assert.deepEqual([await c2.next(), await c2.next(), await c2.next()].map((f) => [f.binary, f.bytes.toString()]), [[false, 'only you'], [true, 'bin'], [false, 'marker']]);
    assert.equal((await c1.next()).bytes.toString(), 'marker', 'c1 got nothing before the marker');
  });

  test('a raw frame staged by a failing execution is not sent; a value that is no frame is JRR_WS_BAD_MESSAGE', async () => {
    const c = await connect();
    assert.equal((await post('fail', { text: 'must not arrive' })).status, 409);
    assert.deepEqual((await post('bad', {})).body, { code: 'JRR_WS_BAD_MESSAGE' });
    assert.equal((await post('broadcast', { text: 'marker' })).status, 204);
    assert.equal((await c.next()).bytes.toString(), 'marker');
  });
}
