// HTTP bench: GET /hello → {"hello":"world"} from seven servers, each alone in its child process,
// loaded by autocannon from this process in alternating rounds: bare Fastify 5 (pino at warn, and
// logger: false), bare Fastify inside AsyncLocalStorage.run (the floor), jararaca-host's full
// pipeline (three no-op interceptors and a scoped provider) and its singleton controller, and
// NestJS 12 on Fastify with a singleton controller and with one request-scoped provider.
import path from 'node:path';
import { ensurePeers, peersDir } from './peers.ts';
import { benchNodeVersion, buildHost, compare, freePort, hostBin, loadTest, median, repoRoot, startServer, type BenchOptions, type BenchResult, type LoadResult, type Measurement, type ServerProcess } from './support.ts';

const fixtures = path.join(repoRoot, 'bench/fixtures');

/** Set BENCH_HTTP_CONFIG=service-metrics.yaml to run the full-pipeline side with another fixture of bench/fixtures/http/. */
const subjectConfig = process.env.BENCH_HTTP_CONFIG ?? 'service.yaml';
/** Set BENCH_HTTP_CPU_PROF=DIR to write V8 CPU profiles of the jararaca-host processes into DIR. */
const profileDir = process.env.BENCH_HTTP_CPU_PROF;

interface Side {
  label: string;
  start(): Promise<ServerProcess>;
}

const bareFastify = (env: Record<string, string>) => async () => {
  const port = await freePort();
  return startServer(['--import', 'tsx', path.join(fixtures, 'bare-fastify.ts')], { port, readyPath: '/hello', env: { ...env, PORT: String(port) } });
};
const jararaca = (config: string) => async () => {
  const port = await freePort();
  const profileArgs = profileDir ? ['--cpu-prof', '--cpu-prof-dir', path.resolve(profileDir)] : [];
  return startServer([...profileArgs, hostBin, '--config', path.join(fixtures, 'http', config), '--role', 'http', '--port', String(port)], {
    port,
    readyPath: '/health/ready',
    env: { LOG_LEVEL: 'warn' },
  });
};
const nest = (scope: 'singleton' | 'request') => async () => {
  const port = await freePort();
  return startServer([path.join(peersDir, 'nest-app.mjs')], { port, readyPath: '/hello', env: { PORT: String(port), BENCH_NEST_SCOPE: scope } });
};

// Labels are also the keys of the results below.
const FASTIFY = 'bare Fastify 5 (pino at warn)';
const FASTIFY_NO_LOGGER = 'bare Fastify 5 (logger: false)';
const FLOOR = 'bare Fastify 5 + AsyncLocalStorage.run';
const SUBJECT = 'jararaca-host (3 interceptors + scoped provider)';
const SINGLETON = 'jararaca-host (singleton controller)';
const NEST = 'NestJS 12 on Fastify (singleton controller)';
const NEST_SCOPED = 'NestJS 12 on Fastify (request-scoped provider)';

const SIDES: Side[] = [
  { label: FASTIFY, start: bareFastify({}) },
  { label: SUBJECT, start: jararaca(subjectConfig) },
  { label: FASTIFY_NO_LOGGER, start: bareFastify({ BENCH_LOGGER: 'off' }) },
  { label: SINGLETON, start: jararaca('service-singleton.yaml') },
  { label: NEST, start: nest('singleton') },
  { label: FLOOR, start: bareFastify({ BENCH_ALS: '1' }) },
  { label: NEST_SCOPED, start: nest('request') },
];

export async function run(options: BenchOptions): Promise<BenchResult[]> {
  buildHost(options, 'http');
  ensurePeers(options, 'http');

  // Alternating sides, so a slow spell on the shared cores hits every side rather than one.
  const results = new Map<string, LoadResult[]>(SIDES.map((s) => [s.label, []]));
  for (let round = 1; round <= options.rounds; round++) {
    const tag = options.rounds > 1 ? ` (round ${round}/${options.rounds})` : '';
    for (const side of SIDES) results.get(side.label)!.push(await measure(side.label + tag, side.start, options));
  }

  const side = (label: string, key: keyof LoadResult, unit: string): Measurement => ({ label, value: median(results.get(label)!.map((r) => r[key] ?? Number.NaN)), unit });
  const rps = (label: string) => side(label, 'requestsPerSecond', 'req/s');
  const cpu = (label: string) => side(label, 'cpuMicrosPerRequest', 'µs');
  const p50 = (label: string) => side(label, 'latencyP50', 'ms');
  const p99 = (label: string) => side(label, 'latencyP99', 'ms');

  const failed = [...results.values()].flat().reduce((n, r) => n + r.failures, 0);
  const perRound = SIDES.map((s) => `${s.label}: ${results.get(s.label)!.map((r) => Math.round(r.requestsPerSecond)).join(' / ')}`).join('; ');
  const note =
    (failed ? `${failed} requests failed: the figures are not comparable. ` : '') +
    (options.rounds > 1 ? `medians of ${options.rounds} alternating rounds; req/s per round: ${perRound}` : '') || undefined;
  // The Node 20 target: on Node < 24 AsyncLocalStorage runs promise hooks (the floor), from 24 on it does not.
  const floorTarget = Number(benchNodeVersion().slice(1).split('.')[0]) < 24 ? { target: 0.95 } : {};
  const lower = { higherIsBetter: false };
  return [
    compare('http: GET /hello throughput', rps(FASTIFY), rps(SUBJECT), { target: 0.9, note }),
    compare('http: full pipeline vs bare Fastify without a logger (informative)', rps(FASTIFY_NO_LOGGER), rps(SUBJECT)),
    compare('http: AsyncLocalStorage floor (informative)', rps(FASTIFY), rps(FLOOR)),
    compare('http: jararaca vs the floor', rps(FLOOR), rps(SUBJECT), floorTarget),
    compare('http: singleton controller vs NestJS singleton', rps(NEST), rps(SINGLETON), { target: 1.0 }),
    compare('http: full pipeline vs NestJS request-scoped', rps(NEST_SCOPED), rps(SUBJECT), { target: 3.0 }),
    compare('http: singleton controller vs bare Fastify without a logger (informative)', rps(FASTIFY_NO_LOGGER), rps(SINGLETON)),
    compare('http: server CPU per request', cpu(FASTIFY), cpu(SUBJECT), lower),
    compare('http: server CPU per request, bare Fastify without a logger', cpu(FASTIFY_NO_LOGGER), cpu(SUBJECT), lower),
    compare('http: server CPU per request vs the floor', cpu(FLOOR), cpu(SUBJECT), lower),
    compare('http: server CPU per request, singleton vs NestJS singleton', cpu(NEST), cpu(SINGLETON), lower),
    compare('http: server CPU per request, full pipeline vs NestJS request-scoped', cpu(NEST_SCOPED), cpu(SUBJECT), lower),
    compare('http: latency p50', p50(FASTIFY), p50(SUBJECT), lower),
    compare('http: latency p99', p99(FASTIFY), p99(SUBJECT), lower),
    compare('http: latency p99, singleton vs NestJS singleton', p99(NEST), p99(SINGLETON), lower),
    compare('http: latency p99, full pipeline vs NestJS request-scoped', p99(NEST_SCOPED), p99(SUBJECT), lower),
  ];
}

async function measure(label: string, start: () => Promise<ServerProcess>, options: BenchOptions): Promise<LoadResult> {
  options.log(`http: starting ${label}`);
  const server = await start();
  try {
    // Every side must answer the same thing, or the comparison means nothing.
    const body = await (await fetch(`${server.url}/hello`)).text();
    if (body !== '{"hello":"world"}') throw new Error(`${label}: GET /hello answered ${body}`);
    options.log(`http: ${label}: warm-up ${options.warmup} s, then ${options.duration} s with ${options.connections} connections`);
    const result = await loadTest(`${server.url}/hello`, options, server.child.pid);
    options.log(`http: ${label}: ${Math.round(result.requestsPerSecond)} req/s, ${result.cpuMicrosPerRequest?.toFixed(1) ?? '?'} µs CPU/req, p50 ${result.latencyP50} ms, p99 ${result.latencyP99} ms`);
    return result;
  } finally {
    await server.stop();
  }
}
