// The telemetry plugin's cost: the HTTP bench's subject (GET /hello, three no-op interceptors, a
// scoped provider) without telemetry, then with it at 100 % and 10 % sampling, exporting over
// OTLP/HTTP protobuf to a no-op receiver in this process. Alternating sides, medians of rounds.
import path from 'node:path';
import { buildHost, compare, freePort, hostBin, loadTest, median, noopOtlpReceiver, repoRoot, startServer, type BenchOptions, type BenchResult, type LoadResult } from './support.ts';

const fixtures = path.join(repoRoot, 'bench/fixtures/http');
const WITHOUT = 'jararaca-host, no telemetry';
const FULL = 'telemetry, 100 % sampled';
const TENTH = 'telemetry, 10 % sampled';
/** Set BENCH_HTTP_CPU_PROF=DIR to write a V8 CPU profile of each telemetry side's host process into DIR. */
const profileDir = process.env.BENCH_HTTP_CPU_PROF;

export async function run(options: BenchOptions): Promise<BenchResult[]> {
  buildHost(options, 'http-telemetry');
  const receiver = await noopOtlpReceiver();
  const endpoint = receiver.endpoint;
  const start = (config: string, env: Record<string, string>) => async () => {
    const port = await freePort();
    const profileArgs = profileDir && config !== 'service.yaml' ? ['--cpu-prof', '--cpu-prof-dir', path.resolve(profileDir)] : [];
    return startServer([...profileArgs, hostBin, '--config', path.join(fixtures, config), '--role', 'http', '--port', String(port)], { port, readyPath: '/health/ready', env: { LOG_LEVEL: 'warn', ...env } });
  };
  const sides = {
    without: start('service.yaml', {}),
    full: start('telemetry.yaml', { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_TRACES_SAMPLER_ARG: '1' }),
    tenth: start('telemetry.yaml', { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_TRACES_SAMPLER_ARG: '0.1' }),
  };
  const results: Record<keyof typeof sides, LoadResult[]> = { without: [], full: [], tenth: [] };
  try {
    for (let round = 1; round <= options.rounds; round++) {
      for (const key of Object.keys(sides) as Array<keyof typeof sides>) {
        const server = await sides[key]();
        try {
          options.log(`http-telemetry: ${key}, round ${round}`);
          const result = await loadTest(`${server.url}/hello`, options, server.child.pid);
          options.log(`http-telemetry: ${key}: ${Math.round(result.requestsPerSecond)} req/s, ${result.cpuMicrosPerRequest?.toFixed(1) ?? '?'} µs CPU/req`);
          results[key].push(result);
        } finally {
          await server.stop();
        }
      }
    }
  } finally {
    receiver.close();
  }
  const side = (label: string, r: LoadResult[], key: keyof LoadResult, unit: string) => ({ label, value: median(r.map((x) => x[key] ?? Number.NaN)), unit });
  const note = `${receiver.exports()} OTLP export requests received; medians of ${options.rounds} alternating rounds`;
  return [
    compare('http + telemetry 100 %: throughput', side(WITHOUT, results.without, 'requestsPerSecond', 'req/s'), side(FULL, results.full, 'requestsPerSecond', 'req/s'), { target: 0.85, note }),
    compare('http + telemetry 10 %: throughput', side(WITHOUT, results.without, 'requestsPerSecond', 'req/s'), side(TENTH, results.tenth, 'requestsPerSecond', 'req/s')),
    compare('http + telemetry 100 %: server CPU per request', side(WITHOUT, results.without, 'cpuMicrosPerRequest', 'µs'), side(FULL, results.full, 'cpuMicrosPerRequest', 'µs'), { higherIsBetter: false }),
    compare('http + telemetry 10 %: server CPU per request', side(WITHOUT, results.without, 'cpuMicrosPerRequest', 'µs'), side(TENTH, results.tenth, 'cpuMicrosPerRequest', 'µs'), { higherIsBetter: false }),
    compare('http + telemetry 100 %: latency p99', side(WITHOUT, results.without, 'latencyP99', 'ms'), side(FULL, results.full, 'latencyP99', 'ms'), { higherIsBetter: false }),
  ];
}
