// Scale bench: how the built host's costs grow with the work it is given. Every subject is the
// built bin (`dist/host/bin.js`) in a child process, on services generated into .tmp/
// (bench/fixtures/scale/generate.ts):
// 1. start-up: ms from spawn until /health/ready answers 200, and VmRSS at that moment, for
//    10 / 100 / 1,000 generated routes (http role) and message handlers (worker role, RabbitMQ);
// 2. GET /hello req/s and server CPU per request through 0 / 1 / 2 / 5 / 10 no-op interceptors;
// 3. WebSocket: host RSS per connection and broadcast fan-out latency at 1,000 and 10,000
//    connections, the clients in separate processes (bench/fixtures/scale/ws-clients.ts);
// 4. leak check: RSS and heap used after a full GC (--expose-gc, the probe plugin's
//    GET /bench/memory) after a warm-up and then every tenth of 1,000,000 requests and of
//    1,000,000 messages through a no-op handler.
// Plots go to bench/plots/scale-*.svg (bench/scale-plots.ts).
//   node --conditions=source --import tsx bench/run.ts scale
// Env: BENCH_SCALE_REQUESTS, BENCH_SCALE_MESSAGES (default 1000000), BENCH_SCALE_WS (connection
// counts, default 1000,10000), BENCH_SCALE_BROADCASTS (default 5), BENCH_SCALE_PARTS (a subset
// of startup,interceptors,websocket,leak; leak-http or leak-worker for one leak run), BENCH_SCALE_PLOTS (the plots' folder).
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import amqp from 'amqplib';
import { handlerQueues, handlersService, interceptorsService, routesService, websocketService } from './fixtures/scale/generate.ts';
import type { MemoryProbe } from './fixtures/scale/probe-plugin.ts';
import { plotInterceptors, plotLeak, plotStartup, plotWebSocket, type LeakSeries, type StartupSeries, type WebSocketSeries } from './scale-plots.ts';
import { benchNode, buildHost, compare, freePort, hostBin, loadTest, median, processCpuMicros, repoRoot, sleep, type BenchOptions, type BenchResult } from './support.ts';

const AMQP_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const REQUESTS = Number(process.env.BENCH_SCALE_REQUESTS ?? 1_000_000);
const MESSAGES = Number(process.env.BENCH_SCALE_MESSAGES ?? 1_000_000);
const WS_CONNECTIONS = (process.env.BENCH_SCALE_WS ?? '1000,10000').split(',').map(Number);
const BROADCASTS = Number(process.env.BENCH_SCALE_BROADCASTS ?? 5);
const PARTS = new Set((process.env.BENCH_SCALE_PARTS ?? 'startup,interceptors,websocket,leak').split(','));
const PLOTS = path.resolve(repoRoot, process.env.BENCH_SCALE_PLOTS ?? 'bench/plots');
const SIZES = [10, 100, 1000];
const INTERCEPTORS = [0, 1, 2, 5, 10];
/** WebSocket clients per client process. */
const CLIENTS_PER_PROCESS = 5000;
/** Samples of the leak runs after the warm-up. */
const LEAK_SAMPLES = 10;

const now = () => performance.timeOrigin + performance.now();
const mb = (bytes: number) => bytes / 1024 / 1024;
const fmt = (n: number) => n.toLocaleString('en-US');

// autocannon ships no types: the part of its programmatic API used for fixed request counts.
type Autocannon = (options: { url: string; connections: number; amount: number }) => Promise<{ requests: { total: number; average: number }; errors: number; timeouts: number; non2xx: number }>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

// ---- the host in a child process ----

interface Host {
  child: ChildProcess;
  /** http://127.0.0.1:PORT of the HTTP port or the worker's health port. */
  url: string;
  /** ms from spawn to the first 200 of /health/ready. */
  readyMs: number;
  /** VmRSS in bytes when it became ready. */
  rssAtReady: number;
  /** CPU ms (user + system) the process had used when it became ready: steadier than readyMs on a shared machine. */
  cpuMsAtReady: number;
  output(): string;
  stop(): Promise<void>;
}

/** VmRSS of a process in bytes, from /proc/PID/status. */
function vmRss(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) * 1024 : Number.NaN;
}

async function startHost(config: string, role: 'http' | 'worker', options: { gc?: boolean; timeoutMs?: number } = {}): Promise<Host> {
  const port = await freePort();
  const args = [...(options.gc ? ['--expose-gc'] : []), hostBin, '--config', config, '--role', role, role === 'http' ? '--port' : '--health-port', String(port)];
  const started = performance.now();
  const child = spawn(benchNode(), args, { cwd: repoRoot, env: { ...process.env, LOG_LEVEL: 'warn', AMQP_URL }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = once(child, 'exit');
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = started + (options.timeoutMs ?? 120000);
  // Polled every 5 ms: the start-up figure is this loop's, so its step must be small.
  while (performance.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`jararaca-host exited with code ${child.exitCode} before it was ready: node ${args.join(' ')}\n${out}`);
    try {
      const response = await fetch(`${url}/health/ready`);
      await response.arrayBuffer();
      if (response.ok) {
        const readyMs = performance.now() - started;
        return { child, url, readyMs, rssAtReady: vmRss(child.pid!), cpuMsAtReady: (processCpuMicros(child.pid!) ?? Number.NaN) / 1000, output: () => out, stop };
      }
    } catch {
      // not listening yet
    }
    await sleep(5);
  }
  await stop();
  throw new Error(`jararaca-host not ready after ${options.timeoutMs ?? 120000} ms: node ${args.join(' ')}\n${out}`);
}

async function getJson<T>(url: string, init?: RequestInit): Promise<T> {
  const response = await fetch(url, init);
  const text = await response.text();
  if (!response.ok) throw new Error(`${init?.method ?? 'GET'} ${url} answered ${response.status}: ${text}`);
  return JSON.parse(text) as T;
}
const probeMemory = (host: Host) => getJson<MemoryProbe>(`${host.url}/bench/memory`);

/** Deletes queues (and exchanges) the worker declared; missing ones are fine. */
async function deleteTopology(queues: string[], exchanges: string[]): Promise<void> {
  const conn = await amqp.connect(AMQP_URL);
  try {
    const ch = await conn.createChannel();
    await Promise.all(queues.map((q) => ch.deleteQueue(q)));
    await Promise.all(exchanges.map((e) => ch.deleteExchange(e)));
    await ch.close();
  } finally {
    await conn.close();
  }
}

// ---- 1. start-up against routes and handlers ----

interface StartupFigures {
  series: StartupSeries;
  results: BenchResult[];
}

async function startup(dir: string, runId: string, options: BenchOptions): Promise<StartupFigures> {
  const exchange = `scale_${runId}`;
  const http = SIZES.map((n) => routesService(path.join(dir, `routes-${n}`), n));
  const names = SIZES.map((n) => `scale_${runId}_w${n}`);
  const worker = SIZES.map((n, i) => handlersService(path.join(dir, `handlers-${n}`), { name: names[i], handlers: n, amqpUrl: AMQP_URL, exchange }));
  const samples = { http: SIZES.map(() => [] as Array<{ ms: number; rss: number; cpu: number }>), worker: SIZES.map(() => [] as Array<{ ms: number; rss: number; cpu: number }>) };
  try {
    for (let round = 1; round <= options.rounds; round++) {
      for (const [i, n] of SIZES.entries()) {
        for (const role of ['http', 'worker'] as const) {
          const host = await startHost((role === 'http' ? http : worker)[i].config, role);
          await host.stop();
          samples[role][i].push({ ms: host.readyMs, rss: host.rssAtReady, cpu: host.cpuMsAtReady });
          options.log(`scale: start-up ${role}, ${n} ${role === 'http' ? 'routes' : 'handlers'} (round ${round}/${options.rounds}): ${host.readyMs.toFixed(0)} ms (${host.cpuMsAtReady.toFixed(0)} ms CPU), RSS ${mb(host.rssAtReady).toFixed(1)} MB`);
          // Each start declares its queues anew, as a first deployment does.
          if (role === 'worker') await deleteTopology(handlerQueues(names[i], n), []);
        }
      }
    }
  } finally {
    await deleteTopology(SIZES.flatMap((n, i) => handlerQueues(names[i], n)), [exchange, `${exchange}.delay`]);
  }
  const pick = (role: 'http' | 'worker', key: 'ms' | 'rss' | 'cpu') => samples[role].map((s) => median(s.map((x) => x[key])));
  const series: StartupSeries = {
    sizes: SIZES,
    http: { ms: pick('http', 'ms'), cpuMs: pick('http', 'cpu'), rssMb: pick('http', 'rss').map(mb) },
    worker: { ms: pick('worker', 'ms'), cpuMs: pick('worker', 'cpu'), rssMb: pick('worker', 'rss').map(mb) },
  };
  const results: BenchResult[] = [];
  for (const role of ['http', 'worker'] as const) {
    const what = role === 'http' ? 'routes' : 'handlers';
    const s = series[role];
    // The marginal cost per added route/handler on each step: superlinear growth shows as a larger second step.
    const step = (values: number[], unit: string, scale = 1) => `${((values[1] - values[0]) * scale / (SIZES[1] - SIZES[0])).toFixed(2)} then ${((values[2] - values[1]) * scale / (SIZES[2] - SIZES[1])).toFixed(2)} ${unit} per added ${what.slice(0, -1)}`;
    for (const i of [1, 2]) {
      const label = (k: number) => `${fmt(SIZES[k])} ${what}`;
      results.push(compare(`scale: start-up, ${role} role, ${label(i)}`, { label: label(0), value: s.ms[0], unit: 'ms' }, { label: label(i), value: s.ms[i], unit: 'ms' }, { higherIsBetter: false, note: i === 2 ? `spawn → /health/ready, medians of ${options.rounds}; ${step(s.ms, 'ms')}; CPU used by then ${s.cpuMs.map((v) => v.toFixed(0)).join(' / ')} ms (${step(s.cpuMs, 'ms')})` : undefined }));
    }
    for (const i of [1, 2]) {
      const label = (k: number) => `${fmt(SIZES[k])} ${what}`;
      results.push(compare(`scale: RSS at ready, ${role} role, ${label(i)}`, { label: label(0), value: s.rssMb[0], unit: 'MB' }, { label: label(i), value: s.rssMb[i], unit: 'MB' }, { higherIsBetter: false, note: i === 2 ? `VmRSS when /health/ready first answered 200; ${step(s.rssMb, 'KB', 1024)}` : undefined }));
    }
  }
  return { series, results };
}

// ---- 2. req/s against interceptors ----

async function interceptors(dir: string, options: BenchOptions): Promise<{ series: { counts: number[]; requestsPerSecond: number[]; cpuMicrosPerRequest: number[] }; results: BenchResult[] }> {
  // One round per count, shorter than the http bench's: five sides; the CPU row is the stable one.
  const load = { connections: options.connections, warmup: options.warmup, duration: Math.min(options.duration, 5) };
  const rps: number[] = [];
  const cpu: number[] = [];
  let failures = 0;
  for (const k of INTERCEPTORS) {
    const host = await startHost(interceptorsService(path.join(dir, `interceptors-${k}`), k).config, 'http');
    try {
      const body = await (await fetch(`${host.url}/hello`)).text();
      if (body !== '{"hello":"world"}') throw new Error(`GET /hello with ${k} interceptors answered ${body}`);
      const r = await loadTest(`${host.url}/hello`, load, host.child.pid);
      failures += r.failures;
      rps.push(r.requestsPerSecond);
      cpu.push(r.cpuMicrosPerRequest ?? Number.NaN);
      options.log(`scale: ${k} interceptors: ${Math.round(r.requestsPerSecond)} req/s, ${r.cpuMicrosPerRequest?.toFixed(1) ?? '?'} µs CPU/req`);
    } finally {
      await host.stop();
    }
  }
  // Least-squares slope of CPU per request against the count: the cost of one interceptor.
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const mx = mean(INTERCEPTORS);
  const my = mean(cpu);
  const slope = INTERCEPTORS.reduce((a, x, i) => a + (x - mx) * (cpu[i] - my), 0) / INTERCEPTORS.reduce((a, x) => a + (x - mx) ** 2, 0);
  const note = `${failures ? `${failures} requests failed. ` : ''}one round of ${load.duration} s per count; CPU per request grows by ~${slope.toFixed(2)} µs per interceptor (least squares over ${INTERCEPTORS.join(', ')})`;
  const results: BenchResult[] = [];
  for (const [i, k] of INTERCEPTORS.entries()) {
    if (k === 0) continue;
    results.push(compare(`scale: GET /hello req/s, ${k} interceptor${k > 1 ? 's' : ''}`, { label: '0 interceptors', value: rps[0], unit: 'req/s' }, { label: `${k} no-op interceptor${k > 1 ? 's' : ''}`, value: rps[i], unit: 'req/s' }));
  }
  for (const [i, k] of INTERCEPTORS.entries()) {
    if (k === 0) continue;
    results.push(compare(`scale: server CPU per request, ${k} interceptor${k > 1 ? 's' : ''}`, { label: '0 interceptors', value: cpu[0], unit: 'µs' }, { label: `${k} no-op interceptor${k > 1 ? 's' : ''}`, value: cpu[i], unit: 'µs' }, { higherIsBetter: false, note: k === 10 ? note : undefined }));
  }
  return { series: { counts: INTERCEPTORS, requestsPerSecond: rps, cpuMicrosPerRequest: cpu }, results };
}

// ---- 3. WebSocket memory per connection and fan-out ----

interface ClientProcess {
  child: ChildProcess;
  count: number;
  next(type: string): Promise<{ type: string; count?: number; values?: number[]; error?: string }>;
}

function startClients(url: string, count: number): ClientProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'bench/fixtures/scale/ws-clients.ts'), url, String(count)], { cwd: repoRoot, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const inbox: Array<{ type: string }> = [];
  const waiting: Array<() => void> = [];
  child.on('message', (m: { type: string }) => {
    inbox.push(m);
    waiting.splice(0).forEach((wake) => wake());
  });
  child.on('exit', () => waiting.splice(0).forEach((wake) => wake()));
  return {
    child,
    count,
    async next(type) {
      for (;;) {
        const i = inbox.findIndex((m) => m.type === type || m.type === 'failed');
        if (i >= 0) return inbox.splice(i, 1)[0] as Awaited<ReturnType<ClientProcess['next']>>;
        if (child.exitCode !== null) throw new Error(`a WebSocket client process exited (code ${child.exitCode}) while the bench waited for '${type}'`);
        await new Promise<void>((resolve) => waiting.push(resolve));
      }
    },
  };
}

async function websocket(dir: string, options: BenchOptions): Promise<{ series: WebSocketSeries; results: BenchResult[] }> {
  const service = websocketService(path.join(dir, 'websocket'));
  const series: WebSocketSeries = { connections: [], kbPerConnection: [], p50: [], p99: [] };
  const notes: string[] = [];
  for (const connections of WS_CONNECTIONS) {
    const host = await startHost(service.config, 'http', { gc: true });
    const clients: ClientProcess[] = [];
    try {
      const before = await probeMemory(host);
      for (let left = connections; left > 0; left -= CLIENTS_PER_PROCESS) clients.push(startClients(`${host.url.replace(/^http/, 'ws')}/ws`, Math.min(CLIENTS_PER_PROCESS, left)));
      const connectStart = performance.now();
      for (const c of clients) {
        const m = await c.next('connected');
        if (m.type === 'failed') throw new Error(`WebSocket clients failed to connect: ${m.error}`);
      }
      const connectSeconds = (performance.now() - connectStart) / 1000;
      await sleep(500);
      const after = await probeMemory(host);
      const latencies: number[] = [];
      let delivered = 0;
      // Two broadcasts to warm up (discarded), then BROADCASTS measured, one at a time.
      for (let b = 0; b < BROADCASTS + 2; b++) {
        await getJson(`${host.url}/bench/broadcast`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ t: now() }) });
        const got = await Promise.all(clients.map(async (c) => {
          c.child.send({ type: 'collect', expected: c.count });
          return (await c.next('latencies')).values ?? [];
        }));
        if (b < 2) continue;
        for (const values of got) {
          delivered += values.length;
          latencies.push(...values);
        }
      }
      latencies.sort((a, b) => a - b);
      const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? Number.NaN;
      const perConnection = (after.rss - before.rss) / connections / 1024;
      series.connections.push(connections);
      series.kbPerConnection.push(perConnection);
      series.p50.push(pct(50));
      series.p99.push(pct(99));
      const heapPerConnection = (after.heapUsed - before.heapUsed) / connections / 1024;
      notes.push(`${fmt(connections)}: connected in ${connectSeconds.toFixed(1)} s, ${delivered}/${connections * BROADCASTS} frames delivered, heap ${heapPerConnection.toFixed(1)} KB and RSS ${perConnection.toFixed(1)} KB per connection (after a GC), p50 ${pct(50).toFixed(1)} ms`);
      options.log(`scale: WebSocket ${fmt(connections)} connections: ${notes.at(-1)}, p99 ${pct(99).toFixed(1)} ms`);
    } finally {
      for (const c of clients) if (c.child.connected) c.child.send({ type: 'close' });
      await Promise.all(clients.map((c) => (c.child.exitCode === null ? once(c.child, 'exit') : undefined)));
      await host.stop();
    }
  }
  const first = 0;
  const last = series.connections.length - 1;
  const label = (i: number) => `${fmt(series.connections[i])} connections`;
  const note = `clients in ${Math.ceil(Math.max(...WS_CONNECTIONS) / CLIENTS_PER_PROCESS)} separate process(es) at most; host memory from GET /bench/memory after a full GC, before and after connecting; fan-out = from the trigger's POST until each client got the frame, over ${BROADCASTS} broadcasts. ${notes.join('; ')}`;
  return {
    series,
    results: [
      compare(`scale: WebSocket host RSS per connection`, { label: label(first), value: series.kbPerConnection[first], unit: 'KB' }, { label: label(last), value: series.kbPerConnection[last], unit: 'KB' }, { higherIsBetter: false }),
      compare(`scale: WebSocket broadcast fan-out p99`, { label: label(first), value: series.p99[first], unit: 'ms' }, { label: label(last), value: series.p99[last], unit: 'ms' }, { higherIsBetter: false, note }),
    ],
  };
}

// ---- 4. leak check ----

interface LeakRun {
  series: LeakSeries;
  /** Executions per second and host CPU µs per execution over the measured part. */
  rate: number;
  cpuMicros: number;
}

function sample(series: LeakSeries, done: number, m: MemoryProbe): void {
  series.done.push(done);
  series.rssMb.push(mb(m.rss));
  series.heapMb.push(mb(m.heapUsed));
}

async function leakHttp(dir: string, options: BenchOptions): Promise<LeakRun> {
  const host = await startHost(interceptorsService(path.join(dir, 'leak-http'), 3).config, 'http', { gc: true });
  try {
    const url = `${host.url}/hello`;
    const fire = async (amount: number) => {
      const r = await autocannon({ url, connections: options.connections, amount });
      const failed = r.errors + r.timeouts + r.non2xx;
      if (failed) throw new Error(`leak run: ${failed} of ${amount} requests failed`);
    };
    await fire(Math.max(10000, Math.round(REQUESTS / 20)));
    const series: LeakSeries = { done: [], rssMb: [], heapMb: [] };
    sample(series, 0, await probeMemory(host));
    // CPU and time of the requests only: the probe's GCs between the chunks are left out.
    let cpu = 0;
    let busy = 0;
    for (let s = 1; s <= LEAK_SAMPLES; s++) {
      const target = Math.round((REQUESTS * s) / LEAK_SAMPLES);
      const cpuBefore = processCpuMicros(host.child.pid!)!;
      const t = performance.now();
      await fire(target - series.done.at(-1)!);
      busy += performance.now() - t;
      cpu += processCpuMicros(host.child.pid!)! - cpuBefore;
      sample(series, target, await probeMemory(host));
      options.log(`scale: leak http: ${fmt(target)} requests, RSS ${series.rssMb.at(-1)!.toFixed(1)} MB, heap ${series.heapMb.at(-1)!.toFixed(1)} MB`);
    }
    return { series, rate: REQUESTS / (busy / 1000), cpuMicros: cpu / REQUESTS };
  } finally {
    await host.stop();
  }
}

async function leakWorker(dir: string, runId: string, options: BenchOptions): Promise<LeakRun> {
  const name = `scale_${runId}_leak`;
  const exchange = `scale_${runId}_leak`;
  const service = handlersService(path.join(dir, 'leak-worker'), { name, handlers: 1, amqpUrl: AMQP_URL, exchange, prefetch: 50 });
  const conn = await amqp.connect(AMQP_URL);
  let host: Host | undefined;
  try {
    host = await startHost(service.config, 'worker', { gc: true });
    const worker = host;
    const pub = await conn.createConfirmChannel();
    const body = Buffer.from(JSON.stringify({ n: 1 }));
    const handled = async () => (await getJson<{ handled: number }>(`${worker.url}/bench/handled`)).handled;
    let published = 0;
    // Publishes up to `total`, keeping at most BACKLOG messages ahead of the worker (a bounded queue).
    const BATCH = 5000;
    const BACKLOG = 20000;
    const pump = async (total: number) => {
      while (published < total) {
        while (published - (await handled()) > BACKLOG) await sleep(20);
        const n = Math.min(BATCH, total - published);
        for (let i = 0; i < n; i++) {
          const props = { persistent: false, contentType: 'application/json', type: 'M0', messageId: crypto.randomUUID(), timestamp: Math.floor(Date.now() / 1000), headers: {} };
          if (!pub.publish(exchange, 'scale.m0', body, props)) await once(pub, 'drain');
        }
        await pub.waitForConfirms();
        published += n;
      }
      const deadline = Date.now() + 120000;
      while ((await handled()) < total) {
        if (Date.now() > deadline) throw new Error(`leak run: the worker handled ${await handled()} of ${total} messages in 2 minutes`);
        await sleep(20);
      }
    };
    const warmup = Math.max(5000, Math.round(MESSAGES / 20));
    await pump(warmup);
    const series: LeakSeries = { done: [], rssMb: [], heapMb: [] };
    sample(series, 0, await probeMemory(worker));
    // CPU and time of the messages only: the probe's GCs between the chunks are left out.
    let cpu = 0;
    let busy = 0;
    for (let s = 1; s <= LEAK_SAMPLES; s++) {
      const target = Math.round((MESSAGES * s) / LEAK_SAMPLES);
      const cpuBefore = processCpuMicros(worker.child.pid!)!;
      const t = performance.now();
      await pump(warmup + target);
      busy += performance.now() - t;
      cpu += processCpuMicros(worker.child.pid!)! - cpuBefore;
      sample(series, target, await probeMemory(worker));
      options.log(`scale: leak worker: ${fmt(target)} messages, RSS ${series.rssMb.at(-1)!.toFixed(1)} MB, heap ${series.heapMb.at(-1)!.toFixed(1)} MB`);
    }
    await pub.close();
    return { series, rate: MESSAGES / (busy / 1000), cpuMicros: cpu / MESSAGES };
  } finally {
    await host?.stop();
    await conn.close().catch(() => undefined);
    await deleteTopology(handlerQueues(name, 1), [exchange, `${exchange}.delay`]);
  }
}

function leakRows(what: string, unit: string, count: number, run: LeakRun): BenchResult[] {
  const s = run.series;
  const after = `after ${fmt(count)} ${unit}`;
  const note = `${fmt(count)} ${unit} after a warm-up; memory after a full GC (--expose-gc, GET /bench/memory) every tenth: RSS ${s.rssMb.map((v) => v.toFixed(0)).join(' → ')} MB, heap ${s.heapMb.map((v) => v.toFixed(1)).join(' → ')} MB; ${Math.round(run.rate)} ${unit}/s, ${run.cpuMicros.toFixed(1)} µs host CPU per ${unit.slice(0, -1)}`;
  return [
    compare(`scale: leak, ${what} RSS`, { label: 'after the warm-up', value: s.rssMb[0], unit: 'MB' }, { label: after, value: s.rssMb.at(-1)!, unit: 'MB' }, { target: 1.1, higherIsBetter: false }),
    compare(`scale: leak, ${what} heap used`, { label: 'after the warm-up', value: s.heapMb[0], unit: 'MB' }, { label: after, value: s.heapMb.at(-1)!, unit: 'MB' }, { target: 1.1, higherIsBetter: false, note }),
  ];
}

// ---- the bench ----

export async function run(options: BenchOptions): Promise<BenchResult[]> {
  buildHost(options, 'scale');
  mkdirSync(path.join(repoRoot, '.tmp'), { recursive: true });
  const dir = mkdtempSync(path.join(repoRoot, '.tmp', 'bench-scale-'));
  const runId = `${process.pid}_${Date.now().toString(36)}`;
  const results: BenchResult[] = [];
  const written: string[] = [];
  try {
    if (PARTS.has('startup')) {
      const s = await startup(dir, runId, options);
      results.push(...s.results);
      written.push(plotStartup(PLOTS, s.series));
    }
    if (PARTS.has('interceptors')) {
      const s = await interceptors(dir, options);
      results.push(...s.results);
      written.push(plotInterceptors(PLOTS, s.series));
    }
    if (PARTS.has('websocket')) {
      const s = await websocket(dir, options);
      results.push(...s.results);
      written.push(plotWebSocket(PLOTS, s.series));
    }
    const leak: { http?: LeakSeries; worker?: LeakSeries } = {};
    if (PARTS.has('leak') || PARTS.has('leak-http')) {
      const http = await leakHttp(dir, options);
      results.push(...leakRows('http', 'requests', REQUESTS, http));
      leak.http = http.series;
    }
    if (PARTS.has('leak') || PARTS.has('leak-worker')) {
      const worker = await leakWorker(dir, runId, options);
      results.push(...leakRows('worker', 'messages', MESSAGES, worker));
      leak.worker = worker.series;
    }
    if (leak.http || leak.worker) written.push(plotLeak(PLOTS, leak));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  options.log(`scale: plots written: ${written.map((f) => path.relative(repoRoot, f)).join(', ')}`);
  return results;
}
