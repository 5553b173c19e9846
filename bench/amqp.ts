// AMQP bench on the local RabbitMQ. Sides run one after the other, never two at once; each
// side's figure is the CPU time (user + system) of the process doing its work during its
// measured window, per message: RabbitMQ's and PostgreSQL's CPU are not in it.
// - consume, a prefetch sweep (1, 10, 50, 200), each consumer a process of its own measuring
//   itself after a warm-up fifth: raw amqplib (bench/fixtures/amqp/raw-consumer.ts: prefetch P,
//   JSON.parse, one ack per message) against the worker role (the built bin) with a no-op
//   handler (worker.prefetch P; the payload validated against its schema, one execution through
//   the interceptors, acked after it), each draining the same number of pre-filled persistent
//   messages, shaped as usePublisher() sends them (messageId, timestamp, type, JSON);
// - publish, each side a process of its own (bench/fixtures/amqp/publish-side.ts, from source
//   through tsx, on benchNode() as the consumers, so --node applies to it), measuring itself after
//   a warm-up of --warmup seconds: raw amqplib confirm channel (C concurrent publishers, each
//   awaiting its confirm) against usePublisher() direct (C concurrent executions, each publishing
//   one message, the execution completing after the confirm) and through the outbox
//   (knex-session on a PostgreSQL database of the bench's own: the message staged in the
//   execution's transaction, relayed and confirmed; measured until the relay marked the last row
//   sent, which this process checks when the child asks over IPC, so the polling is not in the
//   child's CPU);
// - telemetry: the worker's consume (prefetch 50) and direct publish with the telemetry plugin
//   declared first at 100 % and at 10 % sampling (parent-based trace id ratio), exporting over
//   OTLP/HTTP protobuf to a no-op receiver in this process (the exporter is in the measured
//   child, so the export's cost is in its figures), against the same sides without it.
//   BENCH_AMQP_TELEMETRY=0 skips them.
// Run: node --conditions=source --import tsx bench/run.ts amqp
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import amqp, { type Channel } from 'amqplib';
import knex from 'knex';
import { freshDatabase } from '../test/support/database.ts';
import { benchNode, buildHost, compare, hostBin, median, noopOtlpReceiver, repoRoot, sleep, type BenchOptions, type BenchResult, type Measurement } from './support.ts';

const URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const MESSAGES = Number(process.env.BENCH_AMQP_MESSAGES ?? 20000);
const PREFETCHES = (process.env.BENCH_AMQP_PREFETCH ?? '1,10,50,200').split(',').map(Number);
// The prefetch of the telemetry sides (and the worker host reused for the direct publish).
const MAIN_PREFETCH = PREFETCHES.includes(50) ? 50 : PREFETCHES[PREFETCHES.length - 1];
const TELEMETRY_ON = process.env.BENCH_AMQP_TELEMETRY !== '0';
// BENCH_AMQP_CPU_PROF=DIR: V8 CPU profiles of the worker processes into DIR.
const PROFILE_ARGS = process.env.BENCH_AMQP_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_AMQP_CPU_PROF}`] : [];
// Prefetch 1 is one round trip per message: fewer messages keep the run short.
const messagesAt = (prefetch: number) => (prefetch === 1 ? Math.max(1000, Math.round(MESSAGES / 4)) : MESSAGES);

const TELEMETRY = (endpoint: string, ratio: number) => `
  - use: telemetry
    with:
      exporter: { endpoint: "${endpoint}", protocol: http/protobuf }
      sampler: { type: parentbased_traceidratio, ratio: ${ratio} }`;

// The service name is the worker queue's prefix: one of this process's own, so two benches never share a queue.
const SERVICE_NAME = `amqpbench_${process.pid}`;
const SERVICE = (exchange: string, prefetch: number, telemetry = '', database?: string) => `name: ${SERVICE_NAME}
interceptors:${telemetry}
  - use: config
  - use: message-bus
    with: { url: "${URL}", exchange: ${exchange} }${
      database
        ? `
  - use: knex-session
    with: { url: "${database}" }`
        : ''
    }
controllers:
  - ./noop.ts
worker: { prefetch: ${prefetch} }
logging: { level: warn }
`;

const NOOP = `
import { defineMessage, MessageBusController, MessageHandler } from 'jararaca';
export const Ping = defineMessage({ name: 'Ping', topic: 'bench.ping', kind: 'event', schema: { type: 'object', required: ['n'], properties: { n: { type: 'integer' } } } as const });
const cpu = () => { const u = process.cpuUsage(); return u.user + u.system; };
// The window starts after BENCH_WARM messages (JIT warm-up of a fresh process).
const WARM = Number(process.env.BENCH_WARM ?? 0);
// In a publish side's child the counter is unused (nothing is consumed); in a worker child, BENCH_TARGET messages end its drain.
export const counter = { seen: 0, first: 0, last: 0, cpuFirst: 0, cpuLast: 0, target: Number(process.env.BENCH_TARGET ?? Infinity), done: () => {} };
@MessageBusController()
export class Noop {
  @MessageHandler(Ping, { name: 'noop' })
  async noop() {
    if (counter.seen++ === WARM) { counter.first = performance.now(); counter.cpuFirst = cpu(); }
    if (counter.seen === counter.target) {
      counter.last = performance.now(); counter.cpuLast = cpu();
      process.stdout.write('BENCH_DRAINED ' + JSON.stringify({ first: counter.first, last: counter.last, cpuFirst: counter.cpuFirst, cpuLast: counter.cpuLast }) + '\\n');
    }
  }
}
`;

/** One measured run: messages per second, and this process's CPU µs per message. */
interface Run {
  rate: number;
  cpu: number;
}

async function fill(ch: Channel, exchange: string, n: number): Promise<void> {
  const confirm = ch as amqp.ConfirmChannel;
  for (let i = 0; i < n; i++) {
    const props = { persistent: true, contentType: 'application/json', type: 'Ping', messageId: crypto.randomUUID(), timestamp: Math.floor(Date.now() / 1000), headers: {} };
    if (!confirm.publish(exchange, 'bench.ping', Buffer.from(JSON.stringify({ n: i })), props)) await new Promise((r) => confirm.once('drain', r));
  }
  await confirm.waitForConfirms();
}

/**
 * Runs `node ...args` (on `benchNode()`) until it prints `MARKER {json}` on stdout or stderr, and
 * hands the JSON to `then` while the child still runs; the child is stopped afterwards. `ipc`
 * opens an IPC channel and gets the child, and a way to add to the output an error shows.
 */
async function childFigures<T>(
  args: string[],
  env: Record<string, string>,
  options: { marker: string; what: string; ipc?: (child: ChildProcess, note: (text: string) => void) => void; then: (json: string, exited: Promise<unknown>) => Promise<T> | T },
): Promise<T> {
  const child = spawn(benchNode(), args, { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe', ...(options.ipc ? (['ipc'] as const) : [])] });
  const exited = once(child, 'exit');
  let out = '';
  options.ipc?.(child, (text) => (out += text));
  const command = `node ${args.join(' ')}`;
  try {
    const json = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${options.what} did not finish within 300 s: ${command}\n${out}`)), 300_000);
      const found = new RegExp(`${options.marker} (\\{.*\\})`);
      const read = (d: Buffer) => {
        out += d.toString();
        const m = found.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      };
      child.stdout!.on('data', read);
      child.stderr!.on('data', read);
      void exited.then(() => reject(new Error(`${options.what} exited without its figures: ${command}\n${out}`)));
    });
    return await options.then(json, exited);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  }
}

/**
 * Runs a consumer process (`node ...args`) that drains `n` pre-filled messages and prints
 * `BENCH_DRAINED {first, last, cpuFirst, cpuLast}` (its own clock and CPU, first to last delivery).
 */
function childDrain(args: string[], env: Record<string, string>, n: number): Promise<Run> {
  // The first fifth warms the fresh process up (JIT) and is not measured.
  const warm = Math.floor(n / 5);
  return childFigures(args, { ...env, BENCH_TARGET: String(n), BENCH_WARM: String(warm) }, {
    marker: 'BENCH_DRAINED',
    what: `a consumer draining ${n} messages`,
    then: (json) => {
      const r = JSON.parse(json) as { first: number; last: number; cpuFirst: number; cpuLast: number };
      const measured = n - warm - 1;
      return { rate: measured / ((r.last - r.first) / 1000), cpu: (r.cpuLast - r.cpuFirst) / measured };
    },
  });
}

/**
 * Runs one publish side in a process of its own (bench/fixtures/amqp/publish-side.ts, from source,
 * on `benchNode()`), which prints `BENCH_PUBLISHED {rate, cpu, node}` (its own clock and CPU).
 * With `drained`, the child asks over IPC at the end of each window and waits for it.
 */
function childPublish(kind: 'raw' | 'host', env: Record<string, string>, drained?: () => Promise<void>): Promise<Run & { node: string }> {
  const args = ['--conditions=source', '--import', 'tsx', path.join(repoRoot, 'bench/fixtures/amqp/publish-side.ts'), kind];
  return childFigures(args, env, {
    marker: 'BENCH_PUBLISHED',
    what: `publish side ${kind}`,
    ipc: (child, note) =>
      child.on('message', () =>
        void drained?.().then(
          () => child.connected && child.send('drained'),
          (err: unknown) => {
            note(`drained: ${String(err)}\n`);
            child.kill('SIGTERM');
          },
        ),
      ),
    then: async (json, exited) => {
      await Promise.race([exited, sleep(30_000)]); // the host stopped: the next side starts on a quiet machine
      return JSON.parse(json) as Run & { node: string };
    },
  });
}

export async function run(options: BenchOptions): Promise<BenchResult[]> {
  buildHost(options, 'amqp');
  const publishSeconds = Number(process.env.BENCH_AMQP_PUBLISH_SECONDS ?? Math.min(options.duration, 5));
  const exchange = `bench_amqp_${process.pid}`;
  mkdirSync(path.join(repoRoot, '.tmp'), { recursive: true });
  const dir = mkdtempSync(path.join(repoRoot, '.tmp', 'bench-amqp-'));
  const receiver = await noopOtlpReceiver();
  const database = await freshDatabase('bench_amqp_outbox');
  const db = knex({ client: 'pg', connection: database.url, pool: { min: 0, max: 1 } });
  for (const p of PREFETCHES) writeFileSync(path.join(dir, `service-p${p}.yaml`), SERVICE(exchange, p));
  writeFileSync(path.join(dir, 'outbox.yaml'), SERVICE(exchange, MAIN_PREFETCH, '', database.url));
  writeFileSync(path.join(dir, 'telemetry-full.yaml'), SERVICE(exchange, MAIN_PREFETCH, TELEMETRY(receiver.endpoint, 1)));
  writeFileSync(path.join(dir, 'telemetry-tenth.yaml'), SERVICE(exchange, MAIN_PREFETCH, TELEMETRY(receiver.endpoint, 0.1)));
  writeFileSync(path.join(dir, 'noop.ts'), NOOP);
  const telemetrySides = { full: 'telemetry-full.yaml', tenth: 'telemetry-tenth.yaml' } as const;
  type TelemetrySide = keyof typeof telemetrySides;
  const conn = await amqp.connect(URL);
  const setup = await conn.createConfirmChannel();
  const rawQueue = `${exchange}.raw`;
  const workerQueue = `${SERVICE_NAME}.noop`;
  const consumeRaw = new Map<number, Run[]>(PREFETCHES.map((p) => [p, []]));
  const consumeWorker = new Map<number, Run[]>(PREFETCHES.map((p) => [p, []]));
  const consumeTelemetry: Record<TelemetrySide, Run[]> = { full: [], tenth: [] };
  const publishRaw: Run[] = [];
  const publishDirect: Run[] = [];
  const publishOutbox: Run[] = [];
  const publishTelemetry: Record<TelemetrySide, Run[]> = { full: [], tenth: [] };
  try {
    await setup.assertExchange(exchange, 'topic', { durable: true });
    await setup.assertQueue(rawQueue, { durable: true });
    await setup.assertQueue(workerQueue, { durable: true });
    /** The worker role in a process of its own (the built bin, as users run it) draining `n` pre-filled messages. */
    const workerDrain = async (config: string, n: number): Promise<Run> => {
      await setup.bindQueue(workerQueue, exchange, 'bench.ping');
      await fill(setup, exchange, n);
      await setup.unbindQueue(workerQueue, exchange, 'bench.ping');
      return childDrain([...PROFILE_ARGS, hostBin, '--config', path.join(dir, config), '--role', 'worker', '--health-port', '0'], {}, n);
    };
    const publishEnv = { AMQP_URL: URL, EXCHANGE: exchange, CONCURRENCY: String(options.connections), WARMUP_SECONDS: String(options.warmup), PUBLISH_SECONDS: String(publishSeconds) };
    let publishNode: string | undefined;
    /** One publish side in a child; the first one says which Node the publish sides run on. */
    const publishIn = async (into: Run[], kind: 'raw' | 'host', env: Record<string, string> = {}, drained?: () => Promise<void>) => {
      const r = await childPublish(kind, { ...publishEnv, ...env }, drained);
      if (publishNode === undefined) options.log(`amqp: publish sides on Node ${(publishNode = r.node)}`);
      into.push({ rate: r.rate, cpu: r.cpu });
    };
    /** C concurrent executions of a worker host loaded from `config` in a child, each publishing one message with usePublisher(). */
    const publishThrough = (config: string, into: Run[], drained?: () => Promise<void>) =>
      publishIn(into, 'host', { CONFIG: path.join(dir, config), NOOP: path.join(dir, 'noop.ts'), QUEUE: workerQueue, ...(drained ? { RELAYED: '1' } : {}) }, drained);

    /** Raw amqplib draining `n` pre-filled messages at `prefetch`. */
    const rawDrain = async (n: number, prefetch: number): Promise<Run> => {
      await setup.bindQueue(rawQueue, exchange, 'bench.ping');
      await fill(setup, exchange, n);
      await setup.unbindQueue(rawQueue, exchange, 'bench.ping');
      return childDrain(['--import', 'tsx', path.join(repoRoot, 'bench/fixtures/amqp/raw-consumer.ts')], { AMQP_URL: URL, QUEUE: rawQueue, PREFETCH: String(prefetch) }, n);
    };
    /** The raw confirm channel and usePublisher() direct and through the outbox, each in a child of its own. */
    const publishSides = async () => {
      await publishIn(publishRaw, 'raw');
      await publishThrough(`service-p${MAIN_PREFETCH}.yaml`, publishDirect);
      const relayed = async () => {
        while (Number((await db('jararaca_outbox').whereNull('sent_at').count({ n: '*' }))[0].n) > 0) await new Promise((r) => setTimeout(r, 20));
      };
      await publishThrough('outbox.yaml', publishOutbox, relayed);
      await db('jararaca_outbox').delete();
    };

    for (let round = 1; round <= options.rounds; round++) {
      // consume: the sweep, raw then the worker at each prefetch; the publish sides after the main one
      for (const prefetch of PREFETCHES) {
        const n = messagesAt(prefetch);
        consumeRaw.get(prefetch)!.push(await rawDrain(n, prefetch));
        consumeWorker.get(prefetch)!.push(await workerDrain(`service-p${prefetch}.yaml`, n));
        if (prefetch === MAIN_PREFETCH) await publishSides();
        const raw = consumeRaw.get(prefetch)!.at(-1)!;
        const worker = consumeWorker.get(prefetch)!.at(-1)!;
        options.log(`amqp round ${round}, prefetch ${prefetch}: raw ${Math.round(raw.rate)} msg/s ${raw.cpu.toFixed(1)} µs/msg, worker ${Math.round(worker.rate)} msg/s ${worker.cpu.toFixed(1)} µs/msg`);
        if (prefetch === MAIN_PREFETCH) {
          const line = (r: Run[]) => `${Math.round(r.at(-1)!.rate)} msg/s ${r.at(-1)!.cpu.toFixed(1)} µs/msg`;
          options.log(`amqp round ${round}, publish: raw ${line(publishRaw)}, direct ${line(publishDirect)}, outbox ${line(publishOutbox)}`);
        }
      }

      if (!TELEMETRY_ON) continue;
      for (const side of Object.keys(telemetrySides) as TelemetrySide[]) {
        consumeTelemetry[side].push(await workerDrain(telemetrySides[side], MESSAGES));
        await publishThrough(telemetrySides[side], publishTelemetry[side]);
        options.log(`amqp round ${round}, telemetry ${side}: consume ${Math.round(consumeTelemetry[side].at(-1)!.rate)} msg/s, publish ${Math.round(publishTelemetry[side].at(-1)!.rate)} msg/s`);
      }
    }
  } finally {
    const { delayBucket } = await import('jararaca/message-bus');
    const retryQueues = [1000, 2000, 4000, 8000].map((ms) => `${workerQueue}.retry.${delayBucket(ms)}`); // the default retry policy's
    for (const q of [rawQueue, workerQueue, `${workerQueue}.dlq`, ...retryQueues]) await setup.deleteQueue(q).catch(() => undefined);
    await setup.deleteExchange(exchange).catch(() => undefined);
    await setup.deleteExchange(`${exchange}.delay`).catch(() => undefined);
    await conn.close().catch(() => undefined);
    await db.destroy();
    await database.drop().catch(() => undefined);
    receiver.close();
    rmSync(dir, { recursive: true, force: true });
  }

  const rate = (label: string, runs: Run[]): Measurement => ({ label, value: median(runs.map((r) => r.rate)), unit: 'msg/s' });
  const cpu = (label: string, runs: Run[]): Measurement => ({ label, value: median(runs.map((r) => r.cpu)), unit: 'µs' });
  // CPU rows: the ratio is baseline ÷ subject (how much of the baseline's efficiency the subject keeps), so higher is better.
  const cpuRow = (name: string, baseline: Measurement, subject: Measurement, target?: number, note?: string): BenchResult => ({ name, baseline, subject, ratio: baseline.value / subject.value, target, higherIsBetter: true, note });
  const rounds = `medians of ${options.rounds} rounds`;
  const results: BenchResult[] = [];
  for (const p of PREFETCHES) {
    const raw = consumeRaw.get(p)!;
    const worker = consumeWorker.get(p)!;
    results.push(
      cpuRow(
        `amqp: consume CPU per message, prefetch ${p}`,
        cpu('raw amqplib consumer', raw),
        cpu('jararaca worker, no-op handler', worker),
        p >= 10 ? 0.85 : undefined,
        p === PREFETCHES[0] ? `${MESSAGES} persistent messages per consume run (${messagesAt(1)} at prefetch 1), the consumer process's own user + system CPU from the delivery after the first fifth (JIT warm-up) to the last; ratio = raw ÷ worker; ${rounds}` : undefined,
      ),
    );
  }
  for (const p of PREFETCHES) results.push(compare(`amqp: consume throughput, prefetch ${p} (informative)`, rate('raw amqplib consumer', consumeRaw.get(p)!), rate('jararaca worker, no-op handler', consumeWorker.get(p)!)));
  const rawPublish = cpu('raw amqplib confirm channel', publishRaw);
  results.push(
    cpuRow('amqp: publish CPU per message, direct', rawPublish, cpu('usePublisher() per execution', publishDirect), 0.9, `${options.connections} concurrent publishers, ${publishSeconds} s per side; ratio = raw ÷ jararaca; ${rounds}`),
    cpuRow('amqp: publish CPU per message, outbox', rawPublish, cpu('usePublisher() through the outbox', publishOutbox), 0.9, 'staged in the transaction (BEGIN, INSERT, COMMIT), relayed (claim, publish, confirm, mark sent) until the last row was marked sent; PostgreSQL\'s own CPU not counted'),
    compare('amqp: confirmed publish throughput, direct (informative)', rate('raw amqplib confirm channel', publishRaw), rate('usePublisher() per execution', publishDirect)),
    compare('amqp: confirmed publish throughput, outbox (informative)', rate('raw amqplib confirm channel', publishRaw), rate('usePublisher() through the outbox', publishOutbox)),
  );
  if (TELEMETRY_ON) {
    const worker = (side: TelemetrySide | 'without') => rate({ without: 'jararaca worker, no-op handler', full: 'worker + telemetry, 100 % sampled', tenth: 'worker + telemetry, 10 % sampled' }[side], side === 'without' ? consumeWorker.get(MAIN_PREFETCH)! : consumeTelemetry[side]);
    const publisher = (side: TelemetrySide | 'without') => rate({ without: 'usePublisher() per execution', full: 'usePublisher() + telemetry, 100 %', tenth: 'usePublisher() + telemetry, 10 %' }[side], side === 'without' ? publishDirect : publishTelemetry[side]);
    results.push(
      compare('amqp + telemetry 100 %: consume', worker('without'), worker('full'), { target: 0.85, note: `prefetch ${MAIN_PREFETCH}; ${receiver.exports()} OTLP export requests received (no-op receiver)` }),
      compare('amqp + telemetry 10 %: consume', worker('without'), worker('tenth')),
      compare('amqp + telemetry 100 %: publish', publisher('without'), publisher('full'), { target: 0.85 }),
      compare('amqp + telemetry 10 %: publish', publisher('without'), publisher('tenth')),
    );
  }
  return results;
}
