// HTTP bench: bare Fastify 5 against jararaca-host (three no-op interceptors and a scoped
// provider around the same handler), one after the other, loaded by autocannon from this process.
import path from 'node:path';
import { buildHost, compare, freePort, hostBin, loadTest, median, repoRoot, startServer, type BenchOptions, type BenchResult, type LoadResult, type ServerProcess } from './support.ts';

const fixtures = path.join(repoRoot, 'bench/fixtures');
const BASELINE = 'bare Fastify 5';
const SUBJECT = 'jararaca-host (3 interceptors + scoped provider)';
const FLOOR = 'bare Fastify 5 + AsyncLocalStorage.run';

/** Set BENCH_HTTP_CONFIG=service-metrics.yaml to run the subject with another fixture of bench/fixtures/http/. */
const subjectConfig = process.env.BENCH_HTTP_CONFIG ?? 'service.yaml';
/** Set BENCH_HTTP_CPU_PROF=DIR to write a V8 CPU profile of the host process into DIR. */
const profileDir = process.env.BENCH_HTTP_CPU_PROF;

export async function run(options: BenchOptions): Promise<BenchResult[]> {
  buildHost(options, 'http');
  const profileArgs = profileDir ? ['--cpu-prof', '--cpu-prof-dir', path.resolve(profileDir)] : [];
  const startBaseline = async () => {
    const port = await freePort();
    return startServer(['--import', 'tsx', path.join(fixtures, 'bare-fastify.ts')], { port, readyPath: '/hello', env: { PORT: String(port) } });
  };
  const startFloor = async () => {
    const port = await freePort();
    return startServer(['--import', 'tsx', path.join(fixtures, 'bare-fastify.ts')], { port, readyPath: '/hello', env: { PORT: String(port), BENCH_ALS: '1' } });
  };
  const startSubject = async () => {
    const port = await freePort();
    return startServer([...profileArgs, hostBin, '--config', path.join(fixtures, 'http', subjectConfig), '--role', 'http', '--port', String(port)], {
      port,
      readyPath: '/health/ready',
      env: { LOG_LEVEL: 'warn' },
    });
  };

  // Alternating sides, so a slow spell on the shared cores hits both rather than one.
  const baseline: LoadResult[] = [];
  const subject: LoadResult[] = [];
  const floor: LoadResult[] = [];
  for (let round = 1; round <= options.rounds; round++) {
    const tag = options.rounds > 1 ? ` (round ${round}/${options.rounds})` : '';
    baseline.push(await measure(BASELINE + tag, startBaseline, options));
    subject.push(await measure(SUBJECT + tag, startSubject, options));
    floor.push(await measure(FLOOR + tag, startFloor, options));
  }

  const pick = (results: LoadResult[], key: keyof LoadResult) => median(results.map((r) => r[key] ?? Number.NaN));
  const side = (label: string, results: LoadResult[], key: keyof LoadResult, unit: string) => ({ label, value: pick(results, key), unit });
  const failed = [...baseline, ...subject].reduce((n, r) => n + r.failures, 0);
  const perRound = baseline.map((b, i) => `${Math.round(b.requestsPerSecond)} / ${Math.round(subject[i].requestsPerSecond)}`).join(', ');
  const note =
    (failed ? `${failed} requests failed: the figures are not comparable. ` : '') +
    (options.rounds > 1 ? `medians of ${options.rounds} alternating rounds; req/s per round (baseline / subject): ${perRound}` : '') || undefined;
  return [
    compare('http: GET /hello throughput', side(BASELINE, baseline, 'requestsPerSecond', 'req/s'), side(SUBJECT, subject, 'requestsPerSecond', 'req/s'), { target: 0.9, note }),
    compare('http: AsyncLocalStorage floor (informative)', side(BASELINE, baseline, 'requestsPerSecond', 'req/s'), side(FLOOR, floor, 'requestsPerSecond', 'req/s')),
    compare('http: jararaca vs the floor', side(FLOOR, floor, 'requestsPerSecond', 'req/s'), side(SUBJECT, subject, 'requestsPerSecond', 'req/s')),
    compare('http: server CPU per request', side(BASELINE, baseline, 'cpuMicrosPerRequest', 'µs'), side(SUBJECT, subject, 'cpuMicrosPerRequest', 'µs'), { higherIsBetter: false }),
    compare('http: latency p50', side(BASELINE, baseline, 'latencyP50', 'ms'), side(SUBJECT, subject, 'latencyP50', 'ms'), { higherIsBetter: false }),
    compare('http: latency p99', side(BASELINE, baseline, 'latencyP99', 'ms'), side(SUBJECT, subject, 'latencyP99', 'ms'), { higherIsBetter: false }),
  ];
}


async function measure(label: string, start: () => Promise<ServerProcess>, options: BenchOptions): Promise<LoadResult> {
  options.log(`http: starting ${label}`);
  const server = await start();
  try {
    // Both sides must answer the same thing, or the comparison means nothing.
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
