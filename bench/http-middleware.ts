// Middleware bench: in one jararaca-host (the http bench's fixture), GET /hello against
// GET /hello-mw — the same route with two no-op @UseMiddleware functions — loaded one after
// the other, alternating, by autocannon from this process.
import path from 'node:path';
import { buildHost, compare, freePort, hostBin, loadTest, median, repoRoot, startServer, type BenchOptions, type BenchResult, type LoadResult } from './support.ts';

const WITHOUT = 'GET /hello (no middleware)';
const WITH = 'GET /hello-mw (2 middleware)';

export async function run(options: BenchOptions): Promise<BenchResult[]> {
  buildHost(options, 'http-middleware');
  const port = await freePort();
  const server = await startServer([hostBin, '--config', path.join(repoRoot, 'bench/fixtures/http/service.yaml'), '--role', 'http', '--port', String(port)], {
    port,
    readyPath: '/health/ready',
    env: { LOG_LEVEL: 'warn' },
  });
  const without: LoadResult[] = [];
  const withMw: LoadResult[] = [];
  try {
    for (const p of ['/hello', '/hello-mw']) {
      const body = await (await fetch(`${server.url}${p}`)).text();
      if (body !== '{"hello":"world"}') throw new Error(`GET ${p} answered ${body}`);
    }
    for (let round = 1; round <= options.rounds; round++) {
      for (const [label, p, into] of [[WITHOUT, '/hello', without], [WITH, '/hello-mw', withMw]] as const) {
        options.log(`http-middleware: ${label} (round ${round}/${options.rounds})`);
        const r = await loadTest(`${server.url}${p}`, options, server.child.pid);
        options.log(`http-middleware: ${label}: ${Math.round(r.requestsPerSecond)} req/s, ${r.cpuMicrosPerRequest?.toFixed(1) ?? '?'} µs CPU/req`);
        into.push(r);
      }
    }
  } finally {
    await server.stop();
  }
  const side = (label: string, results: LoadResult[], key: 'requestsPerSecond' | 'cpuMicrosPerRequest', unit: string) => ({ label, value: median(results.map((r) => r[key] ?? Number.NaN)), unit });
  const failed = [...without, ...withMw].reduce((n, r) => n + r.failures, 0);
  const perRound = without.map((w, i) => `${Math.round(w.requestsPerSecond)} / ${Math.round(withMw[i].requestsPerSecond)}`).join(', ');
  const note = (failed ? `${failed} requests failed: the figures are not comparable. ` : '') + `one server, medians of ${options.rounds} alternating rounds; req/s per round (without / with): ${perRound}`;
  return [
    compare('http-middleware: throughput', side(WITHOUT, without, 'requestsPerSecond', 'req/s'), side(WITH, withMw, 'requestsPerSecond', 'req/s'), { target: 0.97, note }),
    compare('http-middleware: server CPU per request', side(WITHOUT, without, 'cpuMicrosPerRequest', 'µs'), side(WITH, withMw, 'cpuMicrosPerRequest', 'µs'), { higherIsBetter: false }),
  ];
}
