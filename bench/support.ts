// Shared pieces of the benches: what a bench returns, the options it gets, child-process servers,
// autocannon runs, and the results table.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../', import.meta.url));

/** One side of a comparison: a number with its unit. */
export interface Measurement {
  /** What was measured: `bare Fastify 5`, `jararaca-host (3 interceptors + scoped provider)`. */
  label: string;
  value: number;
  /** `req/s`, `ms`, `msg/s`... */
  unit: string;
}

/** One line of the results table: subject against baseline. */
export interface BenchResult {
  /** `http: throughput` */
  name: string;
  baseline: Measurement;
  subject: Measurement;
  /** subject.value / baseline.value. */
  ratio: number;
  /** The ratio to reach (≥ when higherIsBetter, ≤ otherwise); absent for figures shown for information. */
  target?: number;
  higherIsBetter: boolean;
  /** A short remark shown under the table (errors seen, non-2xx answers...). */
  note?: string;
}

/** What every bench module's `run(opts)` receives (from bench/run.ts's flags). */
export interface BenchOptions {
  /** Measured seconds per side. */
  duration: number;
  /** Seconds of load before measuring, per side (JIT, connection pools, caches). */
  warmup: number;
  /** Concurrent connections (HTTP, WebSocket clients...). */
  connections: number;
  /** Times to measure each side, alternating baseline and subject; the median counts. */
  rounds: number;
  /** Progress lines, to stderr. */
  log(message: string): void;
}

/** A bench module: bench/<name>.ts exporting `run`. */
export interface BenchModule {
  run(options: BenchOptions): Promise<BenchResult[]>;
}

export function compare(name: string, baseline: Measurement, subject: Measurement, options: { target?: number; higherIsBetter?: boolean; note?: string } = {}): BenchResult {
  return { name, baseline, subject, ratio: subject.value / baseline.value, target: options.target, higherIsBetter: options.higherIsBetter ?? true, note: options.note };
}

/** Whether a result meets its target (undefined when it has none). */
export function meetsTarget(result: BenchResult): boolean | undefined {
  if (result.target === undefined) return undefined;
  return result.higherIsBetter ? result.ratio >= result.target : result.ratio <= result.target;
}

export { freePort } from '../test/support/host.ts';

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export interface ServerProcess {
  readonly child: ChildProcess;
  readonly url: string;
  /** Everything the process wrote (stdout and stderr). */
  output(): string;
  /** SIGTERM, then SIGKILL after 5 s; resolves when the process exited. */
  stop(): Promise<void>;
}

/**
 * The Node binary the benches' server processes (and any other process a bench spawns) run on:
 * `--node` / BENCH_NODE (bench/run.ts resolves it to an absolute path), else the node running the
 * bench. Every bench that spawns a process must spawn this binary, not `process.execPath`.
 */
export function benchNode(): string {
  return process.env.BENCH_NODE || process.execPath;
}

let benchNodeVersionCache: string | undefined;
/** `benchNode()`'s version (`v24.22.3`), for the tables' header. */
export function benchNodeVersion(): string {
  if (benchNode() === process.execPath) return process.version;
  benchNodeVersionCache ??= spawnSync(benchNode(), ['--version'], { encoding: 'utf8' }).stdout.trim() || 'unknown';
  return benchNodeVersionCache;
}

/**
 * Starts `node ...args` (on `benchNode()`) and waits until `readyPath` answers 200 on `port` (polling), or fails
 * with the process's output when it exits first or after `timeoutMs`.
 */
export async function startServer(args: string[], options: { port: number; readyPath: string; env?: Record<string, string>; timeoutMs?: number }): Promise<ServerProcess> {
  const child = spawn(benchNode(), args, {
    cwd: repoRoot,
    // `node` on PATH is the same binary too, for whatever the server spawns by name.
    env: { ...process.env, PATH: `${path.dirname(benchNode())}${path.delimiter}${process.env.PATH ?? ''}`, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = once(child, 'exit');
  const url = `http://127.0.0.1:${options.port}`;
  const server: ServerProcess = {
    child,
    url,
    output: () => out,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
  const deadline = Date.now() + (options.timeoutMs ?? 30000);
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with code ${child.exitCode} before it was ready: node ${args.join(' ')}\n${out}`);
    try {
      const response = await fetch(url + options.readyPath);
      await response.arrayBuffer();
      if (response.ok) return server;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  await server.stop();
  throw new Error(`server not ready after ${options.timeoutMs ?? 30000} ms: node ${args.join(' ')}\n${out}`);
}

// autocannon ships no types: the part of its programmatic API used here.
interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; average: number };
  errors: number;
  timeouts: number;
  non2xx: number;
}
type Autocannon = (options: { url: string; connections: number; duration: number; method?: string }) => Promise<AutocannonResult>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

export interface LoadResult {
  /** Mean of the per-second request counts (what autocannon prints as Req/Sec Avg). */
  requestsPerSecond: number;
  /**
   * CPU time (user + system) the server process spent per completed request while measured,
   * in µs. Unlike req/s it barely moves when other processes compete for the cores.
   */
  cpuMicrosPerRequest?: number;
  latencyP50: number;
  latencyP99: number;
  /** Errors, timeouts and non-2xx answers: anything but 0 makes the figures meaningless. */
  failures: number;
  total: number;
}

/** CPU time (user + system) a process used so far, in µs (Linux /proc; undefined elsewhere). */
export function processCpuMicros(pid: number): number | undefined {
  try {
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}
const CLOCK_TICKS = 100; // USER_HZ, 100 on Linux

/**
 * Loads `url` for `warmup` seconds (discarded), then measures for `duration` seconds. With the
 * server's `pid`, also its CPU time per request.
 */
export async function loadTest(url: string, options: Pick<BenchOptions, 'duration' | 'warmup' | 'connections'>, pid?: number): Promise<LoadResult> {
  if (options.warmup > 0) await autocannon({ url, connections: options.connections, duration: options.warmup });
  const cpuBefore = pid === undefined ? undefined : processCpuMicros(pid);
  const r = await autocannon({ url, connections: options.connections, duration: options.duration });
  const cpuAfter = pid === undefined ? undefined : processCpuMicros(pid);
  return {
    requestsPerSecond: r.requests.average,
    cpuMicrosPerRequest: cpuBefore !== undefined && cpuAfter !== undefined && r.requests.total > 0 ? (cpuAfter - cpuBefore) / r.requests.total : undefined,
    latencyP50: r.latency.p50,
    latencyP99: r.latency.p99,
    failures: r.errors + r.timeouts + r.non2xx,
    total: r.requests.total,
  };
}

function formatValue(m: Measurement): string {
  if (!Number.isFinite(m.value)) return 'n/a';
  const digits = m.value >= 100 ? 0 : m.value >= 10 ? 1 : 2;
  return `${m.value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })} ${m.unit}`;
}

/** A Markdown table (readable in a terminal too), with notes under it. */
export function formatTable(results: readonly BenchResult[]): string {
  const rows = [
    ['bench', 'baseline', 'value', 'subject', 'value', 'ratio', 'target', 'met'],
    ...results.map((r) => {
      const met = meetsTarget(r);
      return [
        r.name,
        r.baseline.label,
        formatValue(r.baseline),
        r.subject.label,
        formatValue(r.subject),
        Number.isFinite(r.ratio) ? r.ratio.toFixed(2) : 'n/a',
        r.target === undefined ? '—' : `${r.higherIsBetter ? '≥' : '≤'} ${r.target.toFixed(2)}`,
        met === undefined ? '' : met ? 'yes' : '**no**',
      ];
    }),
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  const line = (row: string[]) => `| ${row.map((cell, i) => cell.padEnd(widths[i])).join(' | ')} |`;
  const table = [line(rows[0]), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.slice(1).map(line)];
  const notes = results.filter((r) => r.note).map((r) => `- ${r.name}: ${r.note}`);
  return [...table, ...(notes.length ? ['', ...notes] : [])].join('\n');
}

/** The middle value (the mean of the two middle ones for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The built bin users run. */
export const hostBin = path.join(repoRoot, 'dist/host/bin.js');

/** Benches run the built bin, as users do: rebuild first so dist/ matches the sources. */
export function buildHost(options: BenchOptions, tag: string): void {
  options.log(`${tag}: npm run build`);
  const result = spawnSync('npm', ['run', 'build', '--silent'], { cwd: repoRoot, encoding: 'utf8' });
  if (result.status !== 0) {
    if (!existsSync(hostBin)) throw new Error(`npm run build failed and ${hostBin} does not exist:\n${result.stdout}${result.stderr}`);
    // tsc still emits on type errors (someone's work in progress): say so, and go on.
    options.log(`${tag}: warning: npm run build reported errors; benchmarking what it emitted:\n${(result.stdout + result.stderr).split('\n').slice(0, 10).join('\n')}`);
  }
}

/** An OTLP/HTTP receiver in this process that accepts every export and keeps nothing (telemetry sides of the benches). */
export async function noopOtlpReceiver(): Promise<{ endpoint: string; exports(): number; close(): void }> {
  let exports = 0;
  const receiver = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      exports++;
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  receiver.listen(0, '127.0.0.1');
  await once(receiver, 'listening');
  return { endpoint: `http://127.0.0.1:${(receiver.address() as { port: number }).port}`, exports: () => exports, close: () => void receiver.close() };
}
