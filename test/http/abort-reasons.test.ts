// Why an execution's signal aborted is the same class in every role: an interceptor records
// `execution.signal.reason` for a message handler and a scheduled action past their timeoutMs
// (TimeoutAbort), an HTTP request and a WebSocket message whose client left mid-handler
// (ClientGoneAbort), and a request still running at the HTTP shutdown deadline (ShutdownAbort).
import assert from 'node:assert/strict';
import { once } from 'node:events';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { WebSocket } from 'ws';
import { http, spawnHost, writeService, type SpawnedHost } from '../support/host.ts';

const recorder = `
import { ClientGoneAbort, definePlugin, ShutdownAbort, TimeoutAbort } from 'jararaca';
// Logs the class and code of every execution's abort reason.
export default definePlugin({
  name: 'abort-recorder',
  setup(ctx) {
    return {
      async intercept(execution, next) {
        const signal = execution.signal;
        signal.addEventListener('abort', () => {
          const reason = signal.reason;
          ctx.logger.info({
            handler: execution.handler.name,
            kind: execution.kind,
            reason: reason?.constructor?.name,
            code: reason?.code,
            timeout: reason instanceof TimeoutAbort,
            shutdown: reason instanceof ShutdownAbort,
            clientGone: reason instanceof ClientGoneAbort,
          }, 'signal aborted');
        }, { once: true });
        return next();
      },
    };
  },
});
`;

const controller = `
import type { FastifyRequest } from 'fastify';
import { defineMessage, Get, MessageBusController, MessageHandler, Post, RestController, ScheduledAction, useExecution } from 'jararaca';
import { usePublisher } from 'jararaca/message-bus';
import { OnMessage, WebSocketEndpoint } from 'jararaca/websocket';
export const Slow = defineMessage({ name: 'Slow', topic: 'abort.slow', kind: 'task', schema: { type: 'object' } as const });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Waits for its own signal (at most 5 s) and says what it saw: the side effect the test reads.
async function hang(label: string) {
  const execution = useExecution();
  const signal = execution.signal;
  execution.logger.info({ label }, 'hang started');
  await new Promise((resolve) => {
    signal.addEventListener('abort', resolve, { once: true });
    setTimeout(resolve, 5000);
  });
  execution.logger.info({ label, reason: signal.reason?.constructor?.name, code: signal.reason?.code }, 'handler saw abort');
}

@RestController('/')
@MessageBusController()
export class Abortable {
  @Post('/slow') async slow() { usePublisher().publish(Slow, {}); return { ok: true }; }

  @Get('/hang') async hang(request: FastifyRequest<{ Querystring: { label: string } }>) { await hang(request.query.label); return { ok: true }; }

  @MessageHandler(Slow, { name: 'slowMessage', timeoutMs: 200, retry: { maxAttempts: 1 } })
  async slowMessage() { await sleep(600); }

  @ScheduledAction('* * * * * *', { name: 'slowTick', timeoutMs: 200, overlap: 'allow' })
  async slowTick() { await sleep(400); }
}

@WebSocketEndpoint('/ws')
export class LiveHang {
  @OnMessage('hang')
  async hang(data: { label: string }) { await hang(data.label); return { type: 'done' }; }
}
`;

let host: SpawnedHost;

before(async () => {
  const dir = writeService({
    'recorder.ts': recorder,
    'abortable.ts': controller,
    'service.yaml': `name: aborts
interceptors:
  - use: ./recorder.ts
  - use: message-bus
    with: { url: "memory://" }
  - use: websocket
    with: { url: "memory://" }
controllers: [./abortable.ts]
http:
  shutdownTimeoutMs: 500
`,
  });
  host = await spawnHost(path.join(dir, 'service.yaml'), { args: ['--role', 'all'] });
});

after(async () => {
  await host?.stop('SIGKILL');
});

const aborted = (handler: string, reason: string) => (l: Record<string, unknown>) => l.msg === 'signal aborted' && l.handler === handler && l.reason === reason;

test('a message handler past its timeoutMs: its signal aborts with TimeoutAbort (JRR_TIMEOUT)', async () => {
  assert.equal((await http('POST', `${host.url}/slow`)).status, 200);
  const line = await host.waitForLog(aborted('Abortable.slowMessage', 'TimeoutAbort'), 10000);
  assert.deepEqual([line.kind, line.code, line.timeout, line.shutdown, line.clientGone], ['message', 'JRR_TIMEOUT', true, false, false]);
  // The dead-letter reason says which handler and which limit.
  const dead = await host.waitForLog((l) => l.msg === 'message failed on its last attempt (1); dead-lettered', 10000);
  assert.match(String((dead.err as { message?: string }).message), /^slowMessage did not finish within timeoutMs 200/);
});

test('a scheduled action past its timeoutMs: the same TimeoutAbort', async () => {
  const line = await host.waitForLog(aborted('Abortable.slowTick', 'TimeoutAbort'), 10000);
  assert.deepEqual([line.kind, line.code, line.timeout], ['scheduled', 'JRR_TIMEOUT', true]);
  const fire = await host.waitForLog((l) => l.action === 'slowTick' && l.outcome === 'timeout', 10000);
  assert.equal(fire.reason, 'ran longer than timeoutMs (200 ms)');
});

test('an HTTP client that disconnects mid-handler: the handler sees ClientGoneAbort', async () => {
  const client = new AbortController();
  const response = fetch(`${host.url}/hang?label=http-gone`, { signal: client.signal }).catch((err: Error) => err.name);
  await host.waitForLog((l) => l.msg === 'hang started' && l.label === 'http-gone');
  client.abort();
  assert.equal(await response, 'AbortError');
  const seen = await host.waitForLog((l) => l.msg === 'handler saw abort' && l.label === 'http-gone');
  assert.deepEqual([seen.reason, seen.code], ['ClientGoneAbort', 'JRR_CLIENT_GONE']);
  const line = await host.waitForLog(aborted('Abortable.hang', 'ClientGoneAbort'));
  assert.deepEqual([line.kind, line.clientGone], ['http', true]);
  // A request answered before its client left is not aborted.
  assert.equal(host.logs().filter((l) => l.msg === 'signal aborted' && l.handler === 'Abortable.slow').length, 0);
});

test('a WebSocket client that closes while its @OnMessage handler runs: ClientGoneAbort', async () => {
  const socket = new WebSocket(`${host.url.replace('http', 'ws')}/ws`);
  await once(socket, 'open');
  socket.send(JSON.stringify({ type: 'hang', data: { label: 'ws-gone' } }));
  await host.waitForLog((l) => l.msg === 'hang started' && l.label === 'ws-gone');
  socket.close();
  await once(socket, 'close');
  const seen = await host.waitForLog((l) => l.msg === 'handler saw abort' && l.label === 'ws-gone');
  assert.deepEqual([seen.reason, seen.code], ['ClientGoneAbort', 'JRR_CLIENT_GONE']);
  const line = await host.waitForLog(aborted('LiveHang.hang', 'ClientGoneAbort'));
  assert.deepEqual([line.kind, line.clientGone], ['websocket', true]);
});

test('a request still running at the HTTP shutdown deadline: ShutdownAbort, and the host exits cleanly', async () => {
  const response = fetch(`${host.url}/hang?label=at-shutdown`).catch((err: Error) => err.name);
  await host.waitForLog((l) => l.msg === 'hang started' && l.label === 'at-shutdown');
  assert.equal(await host.stop(), 0);
  await response;
  const seen = host.logs().find((l) => l.msg === 'handler saw abort' && l.label === 'at-shutdown');
  assert.deepEqual([seen?.reason, seen?.code], ['ShutdownAbort', 'JRR_SHUTDOWN']);
});
