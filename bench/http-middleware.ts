// Middleware bench: in one jararaca-host (the http bench's fixture), GET /hello against
// GET /hello-mw — the same route with two no-op @UseMiddleware functions — loaded one after
// the other, alternating, by autocannon from this process.
import path from 'node:path';
import { Host } from 'jararaca';
import { createLogger } from '../host/core/logger.ts';
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
  const inProcess = await invokeCost(options);
  return [
    ...inProcess,
    compare('http-middleware: throughput', side(WITHOUT, without, 'requestsPerSecond', 'req/s'), side(WITH, withMw, 'requestsPerSecond', 'req/s'), { target: 0.97, note }),
    compare('http-middleware: server CPU per request', side(WITHOUT, without, 'cpuMicrosPerRequest', 'µs'), side(WITH, withMw, 'cpuMicrosPerRequest', 'µs'), { higherIsBetter: false }),
  ];
}

/**
 * The chain's own cost, in this process: inside one execution, `handlers.invoke` of each handler
 * many times over, alternating (CPU time per call, which other processes on the cores move
 * less than wall time; AsyncLocalStorage active as in a request).
 * The difference between the two sides is what two middleware add to every execution.
 */
async function invokeCost(options: BenchOptions): Promise<BenchResult[]> {
  const host = await Host.load({ config: path.join(repoRoot, 'bench/fixtures/http/service.yaml'), roles: [], logger: createLogger({ level: 'silent' }) });
  await host.start({});
  try {
    const [plain, withMw] = ['HelloController.hello', 'HelloController.helloWithMiddleware'].map((name) => host.handlers.ofKind('http').find((h) => h.name === name)!);
    const n = 500_000;
    const a: number[] = [];
    const b: number[] = [];
    await host.execute({ kind: 'http', handler: plain, logger: host.logger }, async (execution) => {
      const side = async (handler: typeof plain) => {
        const before = process.cpuUsage();
        for (let i = 0; i < n; i++) await host.handlers.invoke(execution, handler);
        const used = process.cpuUsage(before);
        return ((used.user + used.system) * 1000) / n;
      };
      await side(plain);
      await side(withMw); // warm-up
      for (let round = 0; round < Math.max(7, options.rounds); round++) {
        b.push(await side(withMw));
        a.push(await side(plain));
      }
    });
    options.log(`http-middleware: handlers.invoke, ns per call (without / with): ${a.map((x, i) => `${Math.round(x)} / ${Math.round(b[i])}`).join(', ')}`);
    return [
      compare(
        'http-middleware: handlers.invoke CPU, in process (informative)',
        { label: 'HelloController.hello', value: median(a), unit: 'ns' },
        { label: 'the same with 2 middleware', value: median(b), unit: 'ns' },
        { higherIsBetter: false, note: `${n} calls per side and round inside one execution, medians of ${a.length} alternating rounds: the difference is the chain's cost per execution` },
      ),
    ];
  } finally {
    await host.stop();
  }
}
