// knex-session bench (PostgreSQL): bare Fastify + knex against jararaca-host with knex-session.
//   http+lazy  GET /hello, knex-session declared but unused (target ≥ 0.90× bare Fastify)
//   select 1   GET /select1: useSession().raw('select 1') vs knex.transaction() in Fastify (target ≥ 0.90)
// Run: node --conditions=source --import tsx bench/run.ts knex
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { compare, freePort, loadTest, median, repoRoot, startServer, type BenchOptions, type BenchResult, type LoadResult, type ServerProcess } from './support.ts';

const fixtures = path.join(repoRoot, 'bench/fixtures/knex-session');
const hostBin = path.join(repoRoot, 'dist/host/bin.js');
const BASELINE = 'bare Fastify 5 + knex';
const SUBJECT = 'jararaca-host + knex-session';
const ROUTES = [
  { path: '/hello', name: 'knex: GET /hello, session declared but unused', expect: '{"hello":"world"}' },
  { path: '/select1', name: 'knex: GET /select1, one select 1 in a transaction', expect: '{"one":1}' },
] as const;

export async function run(options: BenchOptions): Promise<BenchResult[]> {
  options.log('knex: npm run build');
  spawnSync('npm', ['run', 'build', '--silent'], { cwd: repoRoot, encoding: 'utf8' });
  const env: Record<string, string> = process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : {};
  const startBaseline = async () => {
    const port = await freePort();
    return startServer(['--import', 'tsx', path.join(fixtures, 'bare-fastify-knex.ts')], { port, readyPath: '/hello', env: { ...env, PORT: String(port) } });
  };
  const startSubject = async () => {
    const port = await freePort();
    return startServer([hostBin, '--config', path.join(fixtures, 'service.yaml'), '--role', 'http', '--port', String(port)], { port, readyPath: '/health/ready', env: { ...env, LOG_LEVEL: 'warn' } });
  };
  const results: BenchResult[] = [];
  for (const route of ROUTES) {
    const baseline: LoadResult[] = [];
    const subject: LoadResult[] = [];
    for (let round = 1; round <= options.rounds; round++) {
      baseline.push(await measure(`${BASELINE} ${route.path}`, startBaseline, route, options));
      subject.push(await measure(`${SUBJECT} ${route.path}`, startSubject, route, options));
    }
    const pick = (rs: LoadResult[], key: keyof LoadResult) => median(rs.map((r) => r[key] ?? Number.NaN));
    const failed = [...baseline, ...subject].reduce((n, r) => n + r.failures, 0);
    results.push(
      compare(route.name, { label: BASELINE, value: pick(baseline, 'requestsPerSecond'), unit: 'req/s' }, { label: SUBJECT, value: pick(subject, 'requestsPerSecond'), unit: 'req/s' }, {
        target: 0.9,
        note: failed ? `${failed} requests failed: the figures are not comparable` : undefined,
      }),
      compare(`${route.name}: latency p99`, { label: BASELINE, value: pick(baseline, 'latencyP99'), unit: 'ms' }, { label: SUBJECT, value: pick(subject, 'latencyP99'), unit: 'ms' }, { higherIsBetter: false }),
    );
  }
  return results;
}

async function measure(label: string, start: () => Promise<ServerProcess>, route: (typeof ROUTES)[number], options: BenchOptions): Promise<LoadResult> {
  options.log(`knex: starting ${label}`);
  const server = await start();
  try {
    const body = await (await fetch(`${server.url}${route.path}`)).text();
    if (body !== route.expect) throw new Error(`${label}: GET ${route.path} answered ${body}`);
    const result = await loadTest(`${server.url}${route.path}`, options, server.child.pid);
    options.log(`knex: ${label}: ${Math.round(result.requestsPerSecond)} req/s, p99 ${result.latencyP99} ms`);
    return result;
  } finally {
    await server.stop();
  }
}
