// Start-up bench: cold start (spawn → ready) and idle RSS of each role of the built
// jararaca-host, against a bare Fastify script that loads the same .ts controller through tsx;
// and the first test of a fresh `node --import tsx --test` process on jararaca/testing (the
// issue-14 kit test against examples/tasks, the framework from dist/ as a user's project has it).
//   node --conditions=source --import tsx bench/run.ts startup [--rounds N]
// Needs RabbitMQ (AMQP_URL) for the worker role; without it the worker rows are skipped.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import path from 'node:path';
import { benchNode, buildHost, compare, freePort, hostBin, median, processCpuMicros, repoRoot, sleep, type BenchOptions, type BenchResult, type Measurement } from './support.ts';

const fixtures = path.join(repoRoot, 'bench/fixtures/startup');
const BASELINE = 'bare Fastify 5 + tsx, same controller';
/** Start-up runs per side (at least 5: a median of few cold starts on shared cores means little). */
const MIN_RUNS = 5;
/** BENCH_STARTUP_RUNS / BENCH_STARTUP_KIT_RUNS override the number of runs (quick checks). */
/** Set BENCH_STARTUP_CPU_PROF=DIR to write V8 CPU profiles of every started process into DIR. */
const profileDir = process.env.BENCH_STARTUP_CPU_PROF;

export interface StartFigures {
  /** Spawn → first ready answer, ms. */
  wallMs: number;
  /** CPU (user + system) the process used until ready, ms: steadier than wall time on shared cores. */
  cpuMs: number;
  /** VmRSS one second after ready, MB. */
  rssMb: number;
}

/** Answers 200 on `port`/`readyPath`: polled every 5 ms (a coarser poll would be most of what is measured). */
function answers(port: number, readyPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: readyPath, timeout: 500 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN) / 1024;
}

/** Starts `node ...args`, times it to ready, samples RSS after a second idle, stops it. */
export async function startOnce(args: string[], readyPath: string, port: number, env: Record<string, string> = {}): Promise<StartFigures> {
  const profile = profileDir ? ['--cpu-prof', '--cpu-prof-dir', path.resolve(profileDir)] : [];
  const started = performance.now();
  const child = spawn(benchNode(), [...profile, ...args], { cwd: repoRoot, env: { ...process.env, LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  try {
    const deadline = started + 30000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`node ${args.join(' ')} exited with ${child.exitCode} before it was ready:\n${err}`);
      if (performance.now() > deadline) throw new Error(`node ${args.join(' ')} not ready within 30 s:\n${err}`);
      if (await answers(port, readyPath)) break;
      await sleep(5);
    }
    const wallMs = performance.now() - started;
    const cpuMs = (processCpuMicros(child.pid!) ?? Number.NaN) / 1000;
    await sleep(1000);
    return { wallMs, cpuMs, rssMb: rssMb(child.pid!) };
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    if (child.exitCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}

interface Side {
  label: string;
  start(): Promise<StartFigures>;
}

const baseline: Side = {
  label: BASELINE,
  async start() {
    const port = await freePort();
    return startOnce(['--import', 'tsx', path.join(fixtures, 'bare-fastify.ts')], '/hello', port, { PORT: String(port), TSX_TSCONFIG_PATH: path.join(fixtures, 'baseline.tsconfig.json') });
  },
};

function role(name: 'http' | 'worker' | 'scheduler'): Side {
  return {
    label: `jararaca-host --role ${name}`,
    async start() {
      const port = await freePort();
      const portArgs = name === 'http' ? ['--port', String(port)] : ['--health-port', String(port)];
      return startOnce([hostBin, '--config', path.join(fixtures, 'service.yaml'), '--role', name, ...portArgs], '/health/ready', port);
    },
  };
}

/** CPU (user + system) of this process's waited-for children so far, ms (Linux /proc). */
function childrenCpuMs(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[13]) + Number(fields[14])) * 1000) / 100; // cutime, cstime in USER_HZ
}

interface KitFigures {
  /** The test's own duration as node:test reports it, ms. */
  testMs: number;
  /** Spawn → exit of the whole `node --test` process, ms. */
  wallMs: number;
  /** CPU of that process and its test child, ms. */
  cpuMs: number;
}

/** One fresh `node --import tsx --test kit.test.ts` (no --conditions=source: the framework from dist/). */
function kitOnce(): KitFigures {
  const cpuBefore = childrenCpuMs();
  const started = performance.now();
  const result = spawnSync(benchNode(), ['--import', 'tsx', '--test', '--test-reporter=tap', path.join(fixtures, 'kit.test.ts')], {
    cwd: repoRoot,
    encoding: 'utf8',
    // The embedded engines whatever this shell has: the kit defaults them, the example's `${…:-…}` too.
    env: { ...process.env, DATABASE_URL: '', AMQP_URL: '', REDIS_URL: '', NODE_OPTIONS: '' },
  });
  const wallMs = performance.now() - started;
  const cpuMs = childrenCpuMs() - cpuBefore;
  if (result.status !== 0) throw new Error(`the kit test failed:\n${result.stdout}${result.stderr}`);
  const testMs = Number(/^\s*duration_ms: ([\d.]+)/m.exec(result.stdout)?.[1] ?? Number.NaN);
  return { testMs, wallMs, cpuMs };
}

export async function run(options: BenchOptions): Promise<BenchResult[]> {
  buildHost(options, 'startup');
  const runs = Number(process.env.BENCH_STARTUP_RUNS ?? Math.max(MIN_RUNS, options.rounds));
  const amqp = process.env.AMQP_URL;
  const sides: Side[] = [baseline, role('http'), ...(amqp ? [role('worker')] : []), role('scheduler')];
  if (!amqp) options.log('startup: AMQP_URL is not set: the worker role is skipped (it consumes from RabbitMQ)');
  const figures = new Map<Side, StartFigures[]>(sides.map((s) => [s, []]));
  // Alternating sides, so a slow spell on the shared cores hits every side rather than one.
  for (let i = 1; i <= runs; i++) {
    for (const side of sides) {
      const f = await side.start();
      figures.get(side)!.push(f);
      options.log(`startup: ${side.label} (${i}/${runs}): ready in ${f.wallMs.toFixed(0)} ms, ${f.cpuMs.toFixed(0)} ms CPU, ${f.rssMb.toFixed(1)} MB RSS`);
    }
  }
  const m = (side: Side, key: keyof StartFigures, unit: string): Measurement => ({ label: side.label, value: median(figures.get(side)!.map((f) => f[key])), unit });
  const results: BenchResult[] = [];
  for (const side of sides.slice(1)) {
    const name = side.label.replace('jararaca-host ', '');
    results.push(compare(`startup: ${name} cold start (wall)`, m(baseline, 'wallMs', 'ms'), m(side, 'wallMs', 'ms'), { target: 1.5, higherIsBetter: false, note: `median of ${runs}; wall per run: ${figures.get(side)!.map((f) => f.wallMs.toFixed(0)).join(', ')} (baseline ${figures.get(baseline)!.map((f) => f.wallMs.toFixed(0)).join(', ')})` }));
    results.push(compare(`startup: ${name} cold start (CPU)`, m(baseline, 'cpuMs', 'ms'), m(side, 'cpuMs', 'ms'), { target: 1.5, higherIsBetter: false }));
    // The RSS target is absolute (≤ 80 MB): the ratio column is against 80 MB, the baseline's own RSS shown beside it.
    const rss = m(side, 'rssMb', 'MB');
    results.push({ ...compare(`startup: ${name} idle RSS (vs 80 MB)`, { label: '80 MB budget', value: 80, unit: 'MB' }, rss, { target: 1, higherIsBetter: false }), note: `baseline's idle RSS: ${m(baseline, 'rssMb', 'MB').value.toFixed(1)} MB` });
  }

  const kit: KitFigures[] = [];
  for (let i = 1; i <= Number(process.env.BENCH_STARTUP_KIT_RUNS ?? Math.max(3, options.rounds)); i++) {
    const f = kitOnce();
    kit.push(f);
    options.log(`startup: kit test (${i}): test ${f.testMs.toFixed(0)} ms, process ${f.wallMs.toFixed(0)} ms wall, ${f.cpuMs.toFixed(0)} ms CPU`);
  }
  const k = (key: keyof KitFigures, label: string): Measurement => ({ label, value: median(kit.map((f) => f[key])), unit: 'ms' });
  const budget: Measurement = { label: '2 s budget', value: 2000, unit: 'ms' };
  results.push(compare('startup: kit first test (test duration)', budget, k('testMs', 'jararaca/testing, first test, dist'), { target: 1, higherIsBetter: false, note: `median of ${kit.length} fresh processes; test ms per run: ${kit.map((f) => f.testMs.toFixed(0)).join(', ')}` }));
  results.push(compare('startup: kit test process (wall)', budget, k('wallMs', 'node --import tsx --test, whole process'), { higherIsBetter: false }));
  results.push(compare('startup: kit test process (CPU)', budget, k('cpuMs', 'node --import tsx --test, whole process'), { higherIsBetter: false }));
  return results;
}
