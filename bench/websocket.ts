// WebSocket fan-out bench: N clients (default 1,000) spread over two HTTP processes, 50
// broadcasts sent from a third process through Redis. Subject: jararaca-host with the websocket
// plugin (useWsManager().broadcast in an HTTP handler of the sending process). Baseline: the same
// three processes written with raw @fastify/websocket + mqemitter-redis. Reported: messages
// delivered, and delivery latency p50/p99 (send time stamped by the sender, receive time in this
// process, which holds every client socket).
//   node --conditions=source --import tsx bench/run.ts websocket
// This file is also the raw baseline's server: `node --import tsx bench/websocket.ts --raw-server`.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { WebSocket } from 'ws';
import { compare, freePort, repoRoot, sleep, startServer, type BenchOptions, type BenchResult, type ServerProcess } from './support.ts';

const BASELINE = 'raw @fastify/websocket + mqemitter-redis';
const SUBJECT = 'jararaca-host websocket plugin (redis://)';
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const now = () => performance.timeOrigin + performance.now();

export interface WsFigures {
  clients: number;
  broadcasts: number;
  expected: number;
  delivered: number;
  p50: number;
  p99: number;
}

/** The bench, for bench/run.ts. BENCH_WS_CLIENTS and BENCH_WS_BROADCASTS override the sizes. */
export async function run(options: BenchOptions): Promise<BenchResult[]> {
  const clients = Number(process.env.BENCH_WS_CLIENTS ?? 1000);
  const broadcasts = Number(process.env.BENCH_WS_BROADCASTS ?? 50);
  const { baseline, subject } = await measureBoth({ clients, broadcasts, log: options.log });
  const lost = [baseline, subject].filter((f) => f.delivered < f.expected).map((f) => `${f === baseline ? 'baseline' : 'subject'} delivered ${f.delivered}/${f.expected}`);
  const note = lost.length ? lost.join('; ') : `${clients} clients, ${broadcasts} broadcasts: every message delivered on both sides`;
  return [
    compare('websocket: messages delivered', { label: BASELINE, value: baseline.delivered, unit: 'msgs' }, { label: SUBJECT, value: subject.delivered, unit: 'msgs' }, { target: 1, note }),
    compare('websocket: delivery latency p50', { label: BASELINE, value: baseline.p50, unit: 'ms' }, { label: SUBJECT, value: subject.p50, unit: 'ms' }, { higherIsBetter: false }),
    compare('websocket: delivery latency p99', { label: BASELINE, value: baseline.p99, unit: 'ms' }, { label: SUBJECT, value: subject.p99, unit: 'ms' }, { target: 1.2, higherIsBetter: false }),
  ];
}

/** Both sides, one after the other, same load. */
export async function measureBoth(options: { clients: number; broadcasts: number; log(message: string): void }): Promise<{ baseline: WsFigures; subject: WsFigures }> {
  options.log(`websocket: ${BASELINE}`);
  const baseline = await measure(startRaw, options);
  options.log(`websocket: ${SUBJECT}`);
  const subject = await measure(startJararaca, options);
  return { baseline, subject };
}

interface Servers {
  /** Where clients connect (two processes). */
  wsUrls: string[];
  /** POST here to make the sending process broadcast once. */
  sendUrl: string;
  stop(): Promise<void>;
}

async function measure(start: () => Promise<Servers>, options: { clients: number; broadcasts: number; log(message: string): void }): Promise<WsFigures> {
  const servers = await start();
  const sockets: WebSocket[] = [];
  let latencies: number[] = [];
  try {
    const onMessage = (raw: WebSocket.RawData) => {
      const received = now();
      const message = JSON.parse(raw.toString()) as { type: string; data: { t: number } };
      if (message.type === 'bench') latencies.push(received - message.data.t);
    };
    for (let i = 0; i < options.clients; i += 100) {
      await Promise.all(
        Array.from({ length: Math.min(100, options.clients - i) }, async (_, j) => {
          const ws = new WebSocket(`${servers.wsUrls[(i + j) % servers.wsUrls.length].replace(/^http/, 'ws')}/ws`);
          ws.on('message', onMessage);
          ws.on('error', () => undefined);
          sockets.push(ws);
          await new Promise((resolve, reject) => {
            ws.once('open', resolve);
            ws.once('error', reject);
          });
        }),
      );
    }
    options.log(`websocket:   ${options.clients} clients connected; warming up`);
    const send = async () => {
      const res = await fetch(servers.sendUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      await res.arrayBuffer();
      if (!res.ok) throw new Error(`sender answered ${res.status}`);
    };
    const waitFor = async (count: number) => {
      const deadline = Date.now() + 10000;
      while (latencies.length < count && Date.now() < deadline) await sleep(20);
    };
    for (let i = 0; i < 5; i++) await send();
    await waitFor(5 * options.clients);
    latencies = [];
    for (let i = 0; i < options.broadcasts; i++) {
      await send();
      await sleep(20);
    }
    const expected = options.broadcasts * options.clients;
    await waitFor(expected);
    const sorted = [...latencies].sort((a, b) => a - b);
    const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
    const figures = { clients: options.clients, broadcasts: options.broadcasts, expected, delivered: latencies.length, p50: pct(50), p99: pct(99) };
    options.log(`websocket:   delivered ${figures.delivered}/${expected}, p50 ${figures.p50.toFixed(1)} ms, p99 ${figures.p99.toFixed(1)} ms`);
    return figures;
  } finally {
    for (const ws of sockets) ws.terminate();
    await servers.stop();
  }
}

async function startAll(starts: Array<() => Promise<ServerProcess>>, wsCount: number, sendPath: string): Promise<Servers> {
  const started: ServerProcess[] = [];
  try {
    for (const s of starts) started.push(await s());
  } catch (err) {
    await Promise.all(started.map((p) => p.stop()));
    throw err;
  }
  return {
    wsUrls: started.slice(0, wsCount).map((p) => p.url),
    sendUrl: started[wsCount].url + sendPath,
    stop: async () => {
      await Promise.all(started.map((p) => p.stop()));
    },
  };
}

// ---- subject: jararaca-host, three --role http processes of one service ----

const controller = `
import { performance } from 'node:perf_hooks';
import { Post, RestController } from 'jararaca';
import { OnConnect, useWsManager, WebSocketEndpoint } from 'jararaca/websocket';

@WebSocketEndpoint('/ws')
export class BenchSocket {
  @OnConnect()
  connect() {}
}

@RestController('/bench')
export class BenchSender {
  @Post('/broadcast')
  broadcast() {
    useWsManager().broadcast({ type: 'bench', data: { t: performance.timeOrigin + performance.now() } });
  }
}
`;

async function startJararaca(): Promise<Servers> {
  const base = path.join(repoRoot, '.tmp');
  mkdirSync(base, { recursive: true });
  const dir = mkdtempSync(path.join(base, 'bench-ws-'));
  const prefix = `bench_${process.pid}_${Date.now().toString(36)}:`;
  writeFileSync(
    path.join(dir, 'service.yaml'),
    `name: bench-ws\ninterceptors:\n  - use: websocket\n    with:\n      url: ${JSON.stringify(redisUrl)}\n      prefix: ${JSON.stringify(prefix)}\ncontrollers:\n  - ./bench.controller.ts\n`,
  );
  writeFileSync(path.join(dir, 'bench.controller.ts'), controller);
  const host = async () => {
    const port = await freePort();
    return startServer(['--conditions=source', '--import', 'tsx', path.join(repoRoot, 'host/bin.ts'), '--config', path.join(dir, 'service.yaml'), '--role', 'http', '--port', String(port)], {
      port,
      readyPath: '/health/ready',
      env: { LOG_LEVEL: 'warn' },
    });
  };
  return startAll([host, host, host], 2, '/bench/broadcast');
}

// ---- baseline: raw @fastify/websocket + mqemitter-redis ----

async function startRaw(): Promise<Servers> {
  const topic = `bench_raw_${process.pid}_${Date.now().toString(36)}`;
  const server = async () => {
    const port = await freePort();
    return startServer(['--import', 'tsx', path.join(repoRoot, 'bench/websocket.ts'), '--raw-server'], {
      port,
      readyPath: '/ready',
      env: { PORT: String(port), REDIS_URL: redisUrl, TOPIC: topic },
    });
  };
  return startAll([server, server, server], 2, '/send');
}

async function rawServer(): Promise<void> {
  const { default: Fastify } = await import('fastify');
  const { default: fastifyWebsocket } = await import('@fastify/websocket');
  const { default: MQEmitterRedis } = await import('mqemitter-redis');
  const topic = process.env.TOPIC ?? 'bench_raw';
  const app = Fastify();
  await app.register(fastifyWebsocket);
  const clients = new Set<WebSocket>();
  app.get('/ws', { websocket: true }, (socket) => {
    clients.add(socket);
    socket.on('close', () => clients.delete(socket));
  });
  const mq = MQEmitterRedis({ connectionString: process.env.REDIS_URL });
  await new Promise<void>((resolve) =>
    mq.on(
      topic,
      (message, done) => {
        const frame = Buffer.from(message.frame as string);
        for (const c of clients) if (c.readyState === WebSocket.OPEN) c.send(frame, { binary: false });
        done();
      },
      resolve,
    ),
  );
  app.post('/send', async () => {
    const frame = JSON.stringify({ type: 'bench', data: { t: now() } });
    await new Promise<void>((resolve, reject) => mq.emit({ topic, frame }, (err) => (err ? reject(err) : resolve())));
    return { ok: true };
  });
  app.get('/ready', async () => ({ ok: true }));
  await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
  const stop = () => {
    app.close().finally(() => mq.close(() => process.exit(0)));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

if (process.argv.includes('--raw-server') && import.meta.url === pathToFileURL(process.argv[1]).href) await rawServer();
