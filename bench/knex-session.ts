// knex-session bench (PostgreSQL): bare Fastify + knex against jararaca-host with knex-session.
//   http+lazy  GET /hello, knex-session declared but unused (target ≥ 0.90× bare Fastify)
//   select 1   GET /select1: useSession().raw('select 1') vs knex.transaction() in Fastify (target ≥ 0.90)
// A third side, bare Fastify + knex with AsyncLocalStorage.run per request (BENCH_ALS=1), is the
// floor of the execution context (Node 20's ALS slows every promise); jararaca against it is
// shown for information, with the server CPU time per request of each side.
// Run: node --conditions=source --import tsx bench/run.ts knex
// Set BENCH_KNEX_CPU_PROF=DIR to write a V8 CPU profile of the host process into DIR.
import path from 'node:path';
import { buildHost, compare, freePort, hostBin, loadTest, median, repoRoot, startServer, type BenchOptions, type BenchResult, type LoadResult, type ServerProcess } from './support.ts';

const fixtures = path.join(repoRoot, 'bench/fixtures/knex-session');
const BASELINE = 'bare Fastify 5 + knex';
const FLOOR = 'bare Fastify 5 + knex + AsyncLocalStorage.run';
const SUBJECT = 'jararaca-host + knex-session';
const ROUTES = [
  { path: '/hello', name: 'knex: GET /hello, session declared but unused', short: 'knex /hello', expect: '{"hello":"world"}' },
  { path: '/select1', name: 'knex: GET /select1, one select 1 in a transaction', short: 'knex /select1', expect: '{"one":1}' },
] as const;

const profileDir = process.env.BENCH_KNEX_CPU_PROF;

export async function run(options: BenchOptions): Promise<BenchResult[]> {
  buildHost(options, 'knex');
  const env: Record<string, string> = process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : {};
  const profileArgs = profileDir ? ['--cpu-prof', '--cpu-prof-dir', path.resolve(profileDir)] : [];
  const startBare = (als: boolean) => async () => {
    const port = await freePort();
    return startServer(['--import', 'tsx', path.join(fixtures, 'bare-fastify-knex.ts')], { port, readyPath: '/hello', env: { ...env, PORT: String(port), BENCH_ALS: als ? '1' : '0' } });
  };
  const startSubject = async () => {
    const port = await freePort();
    return startServer([...profileArgs, hostBin, '--config', path.join(fixtures, 'service.yaml'), '--role', 'http', '--port', String(port)], {
      port,
      readyPath: '/health/ready',
      env: { ...env, LOG_LEVEL: 'warn' },
    });
  };
  const results: BenchResult[] = [];
  for (const route of ROUTES) {
    // Alternating sides, so a slow spell on the shared cores hits all of them rather than one.
    const baseline: LoadResult[] = [];
    const subject: LoadResult[] = [];
    const floor: LoadResult[] = [];
    for (let round = 1; round <= options.rounds; round++) {
      const tag = options.rounds > 1 ? ` (round ${round}/${options.rounds})` : '';
      baseline.push(await measure(`${BASELINE} ${route.path}${tag}`, startBare(false), route, options));
      subject.push(await measure(`${SUBJECT} ${route.path}${tag}`, startSubject, route, options));
      floor.push(await measure(`${FLOOR} ${route.path}${tag}`, startBare(true), route, options));
    }
    const pick = (rs: LoadResult[], key: keyof LoadResult) => median(rs.map((r) => r[key] ?? Number.NaN));
    const side = (label: string, rs: LoadResult[], key: keyof LoadResult, unit: string) => ({ label, value: pick(rs, key), unit });
    const failed = [...baseline, ...subject, ...floor].reduce((n, r) => n + r.failures, 0);
    const perRound = baseline.map((b, i) => `${Math.round(b.requestsPerSecond)} / ${Math.round(subject[i].requestsPerSecond)} / ${Math.round(floor[i].requestsPerSecond)}`).join(', ');
    const note =
      (failed ? `${failed} requests failed: the figures are not comparable. ` : '') +
      (options.rounds > 1 ? `${route.short}: medians of ${options.rounds} alternating rounds; req/s per round (baseline / jararaca / ALS floor): ${perRound}` : '') || undefined;
    results.push(
      compare(route.name, side(BASELINE, baseline, 'requestsPerSecond', 'req/s'), side(SUBJECT, subject, 'requestsPerSecond', 'req/s'), { target: 0.9, note }),
      compare(`${route.name}: vs the AsyncLocalStorage floor (informative)`, side(FLOOR, floor, 'requestsPerSecond', 'req/s'), side(SUBJECT, subject, 'requestsPerSecond', 'req/s')),
      compare(`${route.name}: server CPU per request`, side(BASELINE, baseline, 'cpuMicrosPerRequest', 'µs'), side(SUBJECT, subject, 'cpuMicrosPerRequest', 'µs'), { higherIsBetter: false }),
      compare(`${route.name}: server CPU per request vs the floor`, side(FLOOR, floor, 'cpuMicrosPerRequest', 'µs'), side(SUBJECT, subject, 'cpuMicrosPerRequest', 'µs'), { higherIsBetter: false }),
      compare(`${route.name}: latency p99`, side(BASELINE, baseline, 'latencyP99', 'ms'), side(SUBJECT, subject, 'latencyP99', 'ms'), { higherIsBetter: false }),
    );
  }
  return results;
}


async function measure(label: string, start: () => Promise<ServerProcess>, route: (typeof ROUTES)[number], options: BenchOptions): Promise<LoadResult> {
  options.log(`knex: starting ${label}`);
  const server = await start();
  try {
    // Every side must answer the same thing, or the comparison means nothing.
    const body = await (await fetch(`${server.url}${route.path}`)).text();
    if (body !== route.expect) throw new Error(`${label}: GET ${route.path} answered ${body}`);
    const result = await loadTest(`${server.url}${route.path}`, options, server.child.pid);
    options.log(`knex: ${label}: ${Math.round(result.requestsPerSecond)} req/s, ${result.cpuMicrosPerRequest?.toFixed(1) ?? '?'} µs CPU/req, p99 ${result.latencyP99} ms`);
    return result;
  } finally {
    await server.stop();
  }
}
