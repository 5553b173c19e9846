// Bad WebSocket clients: every bad frame gets its exact error frame (the connection stays open)
// or its exact close code, a flood costs a few log lines instead of one per frame, and the
// process keeps serving. In-process WebSocket backend (memory://).
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect } from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { WebSocket } from 'ws';
import { http, spawnHost, writeService, type SpawnedHost } from '../support/host.ts';

const controller = `
import { Post, RestController } from 'jararaca';
import { defineWsMessage, OnMessage, useWsManager, WebSocketEndpoint } from 'jararaca/websocket';
const Echo = defineWsMessage('echo', { type: 'object', required: ['text'], properties: { text: { type: 'string' } } } as const);

@WebSocketEndpoint('/ws', { messages: [Echo] })
export class Live {
  @OnMessage(Echo)
  echo(data: typeof Echo.Data) {
    return { type: 'echo', data };
  }

  @OnMessage('explode')
  explode() {
    throw new Error('boom');
  }
}

@RestController('/send')
export class Sender {
  // 256 KiB per message: a client that never reads fills its send buffer quickly.
  @Post('/big')
  big() {
    const text = 'x'.repeat(256 * 1024);
    for (let i = 0; i < 16; i++) useWsManager().broadcast({ type: 'big', data: { i, text } });
  }
}
`;

interface Client {
  ws: WebSocket;
  frames: Array<{ type: string; data?: any; replyTo?: unknown }>;
  next(match?: (f: Client['frames'][number]) => boolean): Promise<Client['frames'][number]>;
  closed: Promise<{ code: number; reason: string }>;
}

async function client(url: string): Promise<Client> {
  const ws = new WebSocket(url);
  const frames: Client['frames'] = [];
  let seen = 0;
  const waiters: Array<() => void> = [];
  ws.on('message', (d, binary) => {
    if (!binary) frames.push(JSON.parse(d.toString()));
    for (const w of waiters.splice(0)) w();
  });
  const closed = once(ws, 'close').then(([code, reason]) => ({ code: code as number, reason: String(reason) }));
  await once(ws, 'open');
  return {
    ws,
    frames,
    closed,
    async next(match = () => true) {
      const deadline = Date.now() + 5000;
      for (;;) {
        while (seen < frames.length) {
          const f = frames[seen++];
          if (match(f)) return f;
        }
        if (Date.now() > deadline || ws.readyState !== WebSocket.OPEN) throw new Error(`no matching frame; got ${JSON.stringify(frames).slice(0, 500)}`);
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 100);
        });
      }
    },
  };
}

describe('bad WebSocket clients', () => {
  let host: SpawnedHost;
  let wsUrl: string;
  before(async () => {
    const dir = writeService({
      'service.yaml': `
name: wsbad
interceptors:
  - use: websocket
    with: { url: "memory://", maxPayloadBytes: 4096, maxBufferedBytes: 65536, maxPendingMessages: 16 }
controllers: [./live.ts]
`,
      'live.ts': controller,
    });
    host = await spawnHost(path.join(dir, 'service.yaml'));
    wsUrl = host.url.replace('http', 'ws') + '/ws';
  });
  after(async () => {
    assert.equal(await host.stop(), 0);
  });

  test('malformed frames get their error frame with the exact code; the connection stays open', async () => {
    const c = await client(wsUrl);
    const cases: Array<[string, string | Buffer, string]> = [
      ['binary frame', Buffer.from([1, 2, 3]), 'JRR_WS_BINARY'],
      ['not JSON', 'not json', 'JRR_WS_BAD_JSON'],
      ['truncated JSON', '{"type":', 'JRR_WS_BAD_JSON'],
      ['empty frame', '', 'JRR_WS_BAD_JSON'],
      ['an array', '[]', 'JRR_WS_BAD_MESSAGE'],
      ['null', 'null', 'JRR_WS_BAD_MESSAGE'],
      ['a number', '42', 'JRR_WS_BAD_MESSAGE'],
      ['a string', '"echo"', 'JRR_WS_BAD_MESSAGE'],
      ['type not a string', '{"type":1}', 'JRR_WS_BAD_MESSAGE'],
      ['no type', '{}', 'JRR_WS_BAD_MESSAGE'],
      ['unknown type', '{"type":"nope"}', 'JRR_WS_UNKNOWN_TYPE'],
      ['type __proto__', '{"type":"__proto__"}', 'JRR_WS_UNKNOWN_TYPE'],
      ['type toString', '{"type":"toString"}', 'JRR_WS_UNKNOWN_TYPE'],
      ['type constructor', '{"type":"constructor"}', 'JRR_WS_UNKNOWN_TYPE'],
      ['no data', '{"type":"echo"}', 'JRR_WS_INVALID'],
      ['data of the wrong type', '{"type":"echo","data":{"text":5}}', 'JRR_WS_INVALID'],
      ['data a string', '{"type":"echo","data":"x"}', 'JRR_WS_INVALID'],
      ['a handler that throws', '{"type":"explode"}', 'JRR_WS_HANDLER_FAILED'],
    ];
    for (const [what, frame, code] of cases) {
      c.ws.send(frame);
      const reply = await c.next((f) => f.type === 'error');
      assert.equal(reply.data.code, code, what);
      assert.equal(c.ws.readyState, WebSocket.OPEN, what);
    }
    // Still answers, with its id as replyTo; a __proto__ key in the frame pollutes nothing.
    c.ws.send('{"type":"echo","id":7,"data":{"text":"hi"},"__proto__":{"polluted":true}}');
    const echo = await c.next((f) => f.type === 'echo');
    assert.deepEqual(echo, { type: 'echo', data: { text: 'hi' }, replyTo: 7 });
    c.ws.close();
  });

  test('invalid UTF-8 in a text frame closes with 1007; a frame over maxPayloadBytes with 1009', async () => {
    const a = await client(wsUrl);
    // ws validates text frames: send raw invalid UTF-8 through the underlying socket API.
    (a.ws as unknown as { _sender: { sendFrame(list: Buffer[], cb?: () => void): void } })._sender.sendFrame(
      [Buffer.from([0x81, 0x82, 0x00, 0x00, 0x00, 0x00, 0xff, 0xfe])],
    );
    assert.equal((await a.closed).code, 1007);
    const b = await client(wsUrl);
    b.ws.send(JSON.stringify({ type: 'echo', data: { text: 'x'.repeat(8192) } }));
    assert.equal((await b.closed).code, 1009);
  });

  test('a handshake to an unknown path is a 404; a bad Sec-WebSocket-Version a 400', async () => {
    const unknown = new WebSocket(host.url.replace('http', 'ws') + '/nope');
    const [, res] = (await once(unknown, 'unexpected-response')) as [unknown, { statusCode: number }];
    assert.equal(res.statusCode, 404);
    const text = await new Promise<string>((resolve) => {
      const s = connect(host.port, '127.0.0.1');
      let out = '';
      s.on('data', (d) => (out += d));
      s.on('close', () => resolve(out));
      s.on('error', () => resolve(out));
      s.write('GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 99\r\n\r\n');
      setTimeout(() => s.destroy(), 3000);
    });
    assert.match(text, /^HTTP\/1\.1 400/);
  });

  test('a client that never reads is closed with 1013 once its send buffer is full', async () => {
    const c = await client(wsUrl);
    // Stop reading: the kernel buffers fill, then the server's send buffer.
    (c.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    for (let i = 0; i < 4 && c.ws.readyState === WebSocket.OPEN; i++) {
      assert.equal((await http('POST', `${host.url}/send/big`)).status, 204);
    }
    (c.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    assert.equal((await c.closed).code, 1013);
  });

  test('two clients flooding 10,000 frames each are closed with 1013 and cost at most a few dozen log lines', async () => {
    const before = host.output().split('\n').length;
    const clients = await Promise.all([client(wsUrl), client(wsUrl)]);
    const frame = JSON.stringify({ type: 'echo', data: { text: 'flood' } });
    for (const c of clients) for (let i = 0; i < 10000; i++) c.ws.send(frame);
    for (const c of clients) assert.equal((await c.closed).code, 1013);
    await new Promise((r) => setTimeout(r, 500));
    const lines = host.output().split('\n').slice(before - 1).filter((l) => l.trim());
    assert.ok(lines.length <= 36, `${lines.length} log lines:\n${lines.slice(0, 50).join('\n')}`);
  });

  test('after all of it the process still serves WebSocket and HTTP clients', async () => {
    const c = await client(wsUrl);
    c.ws.send(JSON.stringify({ type: 'echo', data: { text: 'ok' } }));
    assert.equal((await c.next((f) => f.type === 'echo')).data.text, 'ok');
    c.ws.close();
    assert.equal((await http('GET', `${host.url}/health/ready`)).status, 200);
    assert.doesNotMatch(host.output(), /websocket handler chain failed/);
  });
});
