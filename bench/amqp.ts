// AMQP bench on the local RabbitMQ, in this process:
// - consume: raw amqplib (prefetch P, JSON.parse, ack) against the worker role with a no-op
//   handler (same prefetch; payload validated, one execution through the interceptors, ack),
//   each draining the same number of pre-filled persistent messages (first to last delivery),
//   shaped as usePublisher() sends them (messageId, timestamp, type, JSON). The worker's payload
//   validation (a compiled JSON Schema) is part of its job: the raw side does none;
// - publish: raw amqplib confirm channel (C concurrent publishers, each awaiting its confirm)
//   against usePublisher() (C concurrent executions, each publishing one message, the execution
//   completing after the confirm).
// The worker's sides run three times: without telemetry, and with the telemetry plugin declared
// first at 100 % and at 10 % sampling (parent-based trace id ratio), exporting over OTLP/HTTP
// protobuf to a no-op receiver in this process (the export's cost is in the measured process).
// Run: node --conditions=source --import tsx bench/run.ts amqp
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import amqp, { type Channel } from 'amqplib';
import { Host, type HandlerInfo } from 'jararaca';
import { startWorkerRole } from '../host/roles/worker/role.ts';
import { compare, median, noopOtlpReceiver, repoRoot, type BenchOptions, type BenchResult } from './support.ts';

const URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const MESSAGES = Number(process.env.BENCH_AMQP_MESSAGES ?? 20000);
const PREFETCH = 50;

const TELEMETRY = (endpoint: string, ratio: number) => `
  - use: telemetry
    with:
      exporter: { endpoint: "${endpoint}", protocol: http/protobuf }
      sampler: { type: parentbased_traceidratio, ratio: ${ratio} }`;

const SERVICE = (exchange: string, telemetry = '') => `name: amqpbench
interceptors:${telemetry}
  - use: config
  - use: message-bus
    with: { url: "${URL}", exchange: ${exchange} }
controllers:
  - ./noop.ts
worker: { prefetch: ${PREFETCH} }
logging: { level: warn }
`;

const NOOP = `
import { defineMessage, MessageBusController, MessageHandler } from 'jararaca';
export const Ping = defineMessage({ name: 'Ping', topic: 'bench.ping', kind: 'event', schema: { type: 'object', required: ['n'], properties: { n: { type: 'integer' } } } as const });
export const counter = { seen: 0, first: 0, last: 0, target: Infinity, done: () => {} };
@MessageBusController()
export class Noop {
  @MessageHandler(Ping, { name: 'noop' })
  async noop() {
    if (counter.seen++ === 0) counter.first = performance.now();
    if (counter.seen === counter.target) { counter.last = performance.now(); counter.done(); }
  }
}
`;

async function fill(ch: Channel, exchange: string, n: number): Promise<void> {
  const confirm = ch as amqp.ConfirmChannel;
  for (let i = 0; i < n; i++) {
    const props = { persistent: true, contentType: 'application/json', type: 'Ping', messageId: crypto.randomUUID(), timestamp: Math.floor(Date.now() / 1000), headers: {} };
    if (!confirm.publish(exchange, 'bench.ping', Buffer.from(JSON.stringify({ n: i })), props)) await new Promise((r) => confirm.once('drain', r));
  }
  await confirm.waitForConfirms();
}

/** Messages per second for raw amqplib draining `n` messages from `queue`. */
async function rawConsume(conn: amqp.ChannelModel, queue: string, n: number): Promise<number> {
  const ch = await conn.createChannel();
  await ch.prefetch(PREFETCH);
  let seen = 0;
  let first = 0;
  const last = await new Promise<number>((resolve) => {
    void ch.consume(queue, (m) => {
      if (!m) return;
      JSON.parse(m.content.toString('utf8'));
      if (seen++ === 0) first = performance.now();
      ch.ack(m);
      if (seen === n) resolve(performance.now());
    });
  });
  await ch.close();
  return (n - 1) / ((last - first) / 1000);
}

async function concurrentFor(seconds: number, concurrency: number, once: () => Promise<void>): Promise<number> {
  const end = performance.now() + seconds * 1000;
  let count = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        await once();
        count++;
      }
    }),
  );
  return count / ((performance.now() - started) / 1000);
}

export async function run(options: BenchOptions): Promise<BenchResult[]> {
  const exchange = `bench_amqp_${process.pid}`;
  mkdirSync(path.join(repoRoot, '.tmp'), { recursive: true });
  const dir = mkdtempSync(path.join(repoRoot, '.tmp', 'bench-amqp-'));
  const receiver = await noopOtlpReceiver();
  const endpoint = receiver.endpoint;
  writeFileSync(path.join(dir, 'service.yaml'), SERVICE(exchange));
  writeFileSync(path.join(dir, 'telemetry-full.yaml'), SERVICE(exchange, TELEMETRY(endpoint, 1)));
  writeFileSync(path.join(dir, 'telemetry-tenth.yaml'), SERVICE(exchange, TELEMETRY(endpoint, 0.1)));
  writeFileSync(path.join(dir, 'noop.ts'), NOOP);
  const sides = { without: 'service.yaml', full: 'telemetry-full.yaml', tenth: 'telemetry-tenth.yaml' } as const;
  type Side = keyof typeof sides;
  const conn = await amqp.connect(URL);
  const setup = await conn.createConfirmChannel();
  const rawQueue = `${exchange}.raw`;
  const workerQueue = 'amqpbench.noop';
  const consumeRaw: number[] = [];
  const consumeWorker: Record<Side, number[]> = { without: [], full: [], tenth: [] };
  const publishRaw: number[] = [];
  const publishSubject: Record<Side, number[]> = { without: [], full: [], tenth: [] };
  try {
    await setup.assertExchange(exchange, 'topic', { durable: true });
    await setup.assertQueue(rawQueue, { durable: true });
    await setup.assertQueue(workerQueue, { durable: true });
    await setup.bindQueue(workerQueue, exchange, 'bench.ping');
    const noop = (await import(path.join(dir, 'noop.ts'))) as { counter: { seen: number; first: number; last: number; target: number; done: () => void }; Ping: unknown };

    for (let round = 1; round <= options.rounds; round++) {
      // consume: raw
      await setup.bindQueue(rawQueue, exchange, 'bench.ping');
      await setup.unbindQueue(workerQueue, exchange, 'bench.ping');
      await fill(setup, exchange, MESSAGES);
      consumeRaw.push(await rawConsume(conn, rawQueue, MESSAGES));
      // publish: raw confirm channel, C publishers each awaiting its confirm
      await setup.unbindQueue(rawQueue, exchange, 'bench.ping'); // nobody consumes during the publish bench
      const pub = await conn.createConfirmChannel();
      const body = JSON.stringify({ n: 1 });
      const rawOnce = () =>
        new Promise<void>((resolve, reject) => {
          pub.publish(exchange, 'bench.ping', Buffer.from(body), { persistent: true, contentType: 'application/json', type: 'Ping', messageId: crypto.randomUUID(), timestamp: Math.floor(Date.now() / 1000) }, (err: unknown) => (err ? reject(err) : resolve()));
        });
      await concurrentFor(options.warmup, options.connections, rawOnce);
      publishRaw.push(await concurrentFor(options.duration, options.connections, rawOnce));
      await pub.close();
      await setup.purgeQueue(rawQueue);

      for (const side of Object.keys(sides) as Side[]) {
        // consume: the worker role
        await setup.bindQueue(workerQueue, exchange, 'bench.ping');
        await fill(setup, exchange, MESSAGES);
        Object.assign(noop.counter, { seen: 0, target: MESSAGES });
        const done = new Promise<void>((resolve) => (noop.counter.done = resolve));
        const host = await Host.load({ config: path.join(dir, sides[side]), roles: ['worker'] });
        await host.start({ worker: (h) => startWorkerRole(h, { healthPort: 0 }) });
        await done;
        consumeWorker[side].push((MESSAGES - 1) / ((noop.counter.last - noop.counter.first) / 1000));

        // publish: usePublisher() in an execution that completes after the confirm
        await setup.unbindQueue(workerQueue, exchange, 'bench.ping'); // nobody consumes during the publish bench
        const { usePublisher } = await import('jararaca/message-bus');
        const handler = host.handlers.ofKind('message')[0] as HandlerInfo;
        const logger = host.logger as unknown as Parameters<typeof host.execute>[0]['logger'];
        const subjectOnce = async () => {
          await host.execute({ kind: 'bench', handler, logger }, () => {
            usePublisher().publish(noop.Ping as Parameters<ReturnType<typeof usePublisher>['publish']>[0], { n: 1 } as never);
          });
        };
        await concurrentFor(options.warmup, options.connections, subjectOnce);
        publishSubject[side].push(await concurrentFor(options.duration, options.connections, subjectOnce));
        await host.stop();
        await setup.purgeQueue(workerQueue);
        options.log(`amqp round ${round}, ${side}: consume ${Math.round(consumeWorker[side].at(-1)!)} msg/s, publish ${Math.round(publishSubject[side].at(-1)!)} msg/s`);
      }
      options.log(`amqp round ${round}: raw consume ${Math.round(consumeRaw.at(-1)!)} msg/s, raw publish ${Math.round(publishRaw.at(-1)!)} msg/s`);
    }
  } finally {
    const { delayBucket } = await import('jararaca/message-bus');
    const retryQueues = [1000, 2000, 4000, 8000].map((ms) => `${workerQueue}.retry.${delayBucket(ms)}`); // the default retry policy's
    for (const q of [rawQueue, workerQueue, `${workerQueue}.dlq`, ...retryQueues]) await setup.deleteQueue(q).catch(() => undefined);
    await setup.deleteExchange(exchange).catch(() => undefined);
    await setup.deleteExchange(`${exchange}.delay`).catch(() => undefined);
    await conn.close().catch(() => undefined);
    receiver.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const note = `${MESSAGES} persistent messages per consume run, prefetch ${PREFETCH}; publish with ${options.connections} concurrent publishers; medians of ${options.rounds} rounds`;
  const worker = (side: Side) => ({ label: { without: 'jararaca worker, no-op handler', full: 'worker + telemetry, 100 % sampled', tenth: 'worker + telemetry, 10 % sampled' }[side], value: median(consumeWorker[side]), unit: 'msg/s' });
  const publisher = (side: Side) => ({ label: { without: 'usePublisher() per execution', full: 'usePublisher() + telemetry, 100 %', tenth: 'usePublisher() + telemetry, 10 %' }[side], value: median(publishSubject[side]), unit: 'msg/s' });
  return [
    compare('amqp: consume + ack throughput', { label: 'raw amqplib consumer', value: median(consumeRaw), unit: 'msg/s' }, worker('without'), { target: 0.85, note }),
    compare('amqp: confirmed publish throughput', { label: 'raw amqplib confirm channel', value: median(publishRaw), unit: 'msg/s' }, publisher('without'), { target: 0.9 }),
    compare('amqp + telemetry 100 %: consume', worker('without'), worker('full'), { target: 0.85, note: `${receiver.exports()} OTLP export requests received (no-op receiver)` }),
    compare('amqp + telemetry 10 %: consume', worker('without'), worker('tenth')),
    compare('amqp + telemetry 100 %: publish', publisher('without'), publisher('full'), { target: 0.85 }),
    compare('amqp + telemetry 10 %: publish', publisher('without'), publisher('tenth')),
  ];
}
