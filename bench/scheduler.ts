// Scheduler fire lag (actual start − slot) over N one-second slots: bare node-schedule in this
// process (the floor), one `jararaca-host --role scheduler` process, and three replicas sharing
// a PostgreSQL lock. Figures come from the per-fire log lines (lagMs).
//   node --conditions=source --import tsx bench/scheduler.ts [--slots 60]
//   node --conditions=source --import tsx bench/run.ts scheduler --duration 60   (N = duration)
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import schedule from 'node-schedule';
import pg from 'pg';
import { compare, freePort, repoRoot, sleep, startServer, type BenchOptions, type BenchResult, type ServerProcess } from './support.ts';
import { servers, uniqueName, writeService } from '../test/support/host.ts';

export interface LagStats {
  /** Fires measured. */
  n: number;
  p50: number;
  p99: number;
  max: number;
}

export interface SchedulerFigures {
  slots: number;
  /** node-schedule, bare, in the bench process. */
  bare: LagStats;
  /** One jararaca-host scheduler process (in-process lock). */
  single: LagStats;
  /** Three replicas, lock in PostgreSQL; every slot fired by exactly one. */
  replicas: LagStats & { duplicates: number };
}

function stats(lags: number[]): LagStats {
  const sorted = [...lags].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? NaN;
  return { n: sorted.length, p50: at(0.5), p99: at(0.99), max: sorted.at(-1) ?? NaN };
}

const jobs = `import { ScheduledAction } from 'jararaca';
export class Jobs {
  @ScheduledAction('* * * * * *', { name: 'tick' })
  async tick(): Promise<void> {}
}
`;

async function startReplica(config: string, env: Record<string, string>): Promise<ServerProcess> {
  const port = await freePort();
  return startServer(['--conditions=source', '--import', 'tsx', path.join(repoRoot, 'host/bin.ts'), '--config', config, '--role', 'scheduler', '--health-port', String(port)], {
    port,
    readyPath: '/health/ready',
    env: { LOG_LEVEL: 'info', ...env },
  });
}

/** `{ slot, lagMs }` of every successful fire in the processes' logs. */
function firesOf(processes: ServerProcess[]): Array<{ slot: string; lagMs: number }> {
  return processes.flatMap((p) =>
    p
      .output()
      .split('\n')
      .filter((l) => l.includes('"outcome":"ok"'))
      .map((l) => JSON.parse(l) as { slot: string; lagMs: number }),
  );
}

/** Measures over `slots` one-second slots (after 2 warm-up slots). Needs PostgreSQL at DATABASE_URL. */
export async function measureSchedulerJitter(options: { slots?: number; log?: (message: string) => void } = {}): Promise<SchedulerFigures> {
  const slots = options.slots ?? 60;
  const log = options.log ?? (() => {});
  const warmup = 2;
  // A postgres:// lock is provided by the knex-session plugin on that database (docs/scheduler.md).
  const dir = writeService({
    'service.yaml': `name: bench-scheduler\ncontrollers:\n  - ./jobs.ts\nscheduler:\n  lock: \${LOCK_URL}\n`,
    'replicas.yaml': `name: bench-scheduler\ninterceptors:\n  - use: knex-session\n    with:\n      url: \${LOCK_URL}\ncontrollers:\n  - ./jobs.ts\nscheduler:\n  lock: \${LOCK_URL}\n`,
    'jobs.ts': jobs,
  });
  const config = path.join(dir, 'service.yaml');
  const replicasConfig = path.join(dir, 'replicas.yaml');

  // 1 process, with bare node-schedule running alongside in this (otherwise idle) process.
  log(`scheduler: 1 process and bare node-schedule, ${slots} slots`);
  const bareLags: number[] = [];
  const job = schedule.scheduleJob('* * * * * *', (fireDate: Date) => void bareLags.push(Date.now() - fireDate.getTime()));
  const single = await startReplica(config, { LOCK_URL: 'memory://' });
  const singleFrom = new Date(Date.now() + warmup * 1000).toISOString();
  try {
    await sleep((slots + warmup + 1) * 1000);
  } finally {
    job.cancel();
    await single.stop();
  }
  const singleLags = firesOf([single]).filter((f) => f.slot > singleFrom).slice(0, slots).map((f) => f.lagMs);

  // 3 replicas on a fresh PostgreSQL database.
  log(`scheduler: 3 replicas on PostgreSQL, ${slots} slots`);
  const database = uniqueName('jrr_bench_sched');
  const admin = new pg.Client({ connectionString: servers.postgres });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  const url = new URL(servers.postgres);
  url.pathname = `/${database}`;
  const replicas: ServerProcess[] = [];
  let replicasFrom = '';
  try {
    for (let i = 0; i < 3; i++) replicas.push(await startReplica(replicasConfig, { LOCK_URL: url.toString() }));
    replicasFrom = new Date(Date.now() + warmup * 1000).toISOString();
    await sleep((slots + warmup + 1) * 1000);
  } finally {
    await Promise.all(replicas.map((r) => r.stop()));
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
  }
  // Measured from `warmup` seconds after all three were up (starting one costs CPU on the others).
  const fires = firesOf(replicas).sort((a, b) => a.slot.localeCompare(b.slot));
  const perSlot = new Map<string, number>();
  for (const f of fires) perSlot.set(f.slot, (perSlot.get(f.slot) ?? 0) + 1);
  const measured = fires.filter((f) => f.slot > replicasFrom).slice(0, slots);
  return {
    slots,
    bare: stats(bareLags.slice(warmup, warmup + slots)),
    single: stats(singleLags),
    replicas: { ...stats(measured.map((f) => f.lagMs)), duplicates: [...perSlot.values()].filter((n) => n > 1).length },
  };
}

/** For bench/run.ts: N = --duration (one-second slots). */
export async function run(options: BenchOptions): Promise<BenchResult[]> {
  const f = await measureSchedulerJitter({ slots: Math.max(5, Math.round(options.duration)), log: options.log });
  const ms = (label: string, value: number) => ({ label, value, unit: 'ms' });
  const verdict = (p99: number, target: number) => `p99 ${p99} ms, target < ${target} ms: ${p99 < target ? 'met' : 'missed'}`;
  return [
    compare('scheduler: fire lag p50, 1 process', ms('node-schedule (bare)', f.bare.p50), ms('jararaca-host --role scheduler', f.single.p50), { higherIsBetter: false }),
    compare('scheduler: fire lag p99, 1 process', ms('node-schedule (bare)', f.bare.p99), ms('jararaca-host --role scheduler', f.single.p99), { higherIsBetter: false, note: `${f.single.n} slots; ${verdict(f.single.p99, 20)}` }),
    compare('scheduler: fire lag p50, 3 replicas (PostgreSQL lock)', ms('1 process', f.single.p50), ms('3 replicas', f.replicas.p50), { higherIsBetter: false }),
    compare('scheduler: fire lag p99, 3 replicas (PostgreSQL lock)', ms('1 process', f.single.p99), ms('3 replicas', f.replicas.p99), {
      higherIsBetter: false,
      note: `${f.replicas.n} slots, ${f.replicas.duplicates} fired twice; ${verdict(f.replicas.p99, 50)}`,
    }),
  ];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { slots: { type: 'string', default: '60' } } });
  const figures = await measureSchedulerJitter({ slots: Number(values.slots), log: (m) => process.stderr.write(`${m}\n`) });
  process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
}
