// AMQP bench on the local RabbitMQ, in this process:
// - consume: raw amqplib (prefetch P, JSON.parse, ack) against the worker role with a no-op
//   handler (same prefetch; payload validated, one execution through the interceptors, ack),
//   each draining the same number of pre-filled persistent messages (first to last delivery),
//   shaped as usePublisher() sends them (messageId, timestamp, type, JSON). The worker's payload
//   validation (a compiled JSON Schema) is part of its job: the raw side does none;
// - publish: raw amqplib confirm channel (C concurrent publishers, each awaiting its confirm)
//   against usePublisher() (C concurrent executions, each publishing one message, the execution
//   completing after the confirm).
// Run: node --conditions=source --import tsx bench/run.ts amqp
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import amqp, { type Channel } from 'amqplib';
import { Host, type HandlerInfo } from 'jararaca';
import { startWorkerRole } from '../host/roles/worker/role.ts';
import { compare, median, repoRoot, type BenchOptions, type BenchResult } from './support.ts';

const URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const MESSAGES = Number(process.env.BENCH_AMQP_MESSAGES ?? 20000);
const PREFETCH = 50;

const SERVICE = (exchange: string) => `name: amqpbench
interceptors:
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
  writeFileSync(path.join(dir, 'service.yaml'), SERVICE(exchange));
  writeFileSync(path.join(dir, 'noop.ts'), NOOP);
  const conn = await amqp.connect(URL);
  const setup = await conn.createConfirmChannel();
  const rawQueue = `${exchange}.raw`;
  const workerQueue = 'amqpbench.noop';
  const consumeRaw: number[] = [];
  const consumeWorker: number[] = [];
  const publishRaw: number[] = [];
  const publishSubject: number[] = [];
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
      // consume: the worker role
      await setup.unbindQueue(rawQueue, exchange, 'bench.ping');
      await setup.bindQueue(workerQueue, exchange, 'bench.ping');
      await fill(setup, exchange, MESSAGES);
      Object.assign(noop.counter, { seen: 0, target: MESSAGES });
      const done = new Promise<void>((resolve) => (noop.counter.done = resolve));
      const host = await Host.load({ config: path.join(dir, 'service.yaml'), roles: ['worker'] });
      await host.start({ worker: (h) => startWorkerRole(h, { healthPort: 0 }) });
      await done;
      consumeWorker.push((MESSAGES - 1) / ((noop.counter.last - noop.counter.first) / 1000));

      // publish: raw confirm channel, C publishers each awaiting its confirm
      const pub = await conn.createConfirmChannel();
      await setup.unbindQueue(workerQueue, exchange, 'bench.ping'); // nobody consumes during the publish bench
      const body = JSON.stringify({ n: 1 });
      const rawOnce = () =>
        new Promise<void>((resolve, reject) => {
          pub.publish(exchange, 'bench.ping', Buffer.from(body), { persistent: true, contentType: 'application/json', type: 'Ping', messageId: crypto.randomUUID(), timestamp: Math.floor(Date.now() / 1000) }, (err: unknown) => (err ? reject(err) : resolve()));
        });
      await concurrentFor(options.warmup, options.connections, rawOnce);
      publishRaw.push(await concurrentFor(options.duration, options.connections, rawOnce));
      await pub.close();
      // publish: usePublisher() in an execution that completes after the confirm
      const { usePublisher } = await import('jararaca/message-bus');
      const handler = host.handlers.ofKind('message')[0] as HandlerInfo;
      const logger = host.logger as unknown as Parameters<typeof host.execute>[0]['logger'];
      const subjectOnce = async () => {
        await host.execute({ kind: 'bench', handler, logger }, () => {
          usePublisher().publish(noop.Ping as Parameters<ReturnType<typeof usePublisher>['publish']>[0], { n: 1 } as never);
        });
      };
      await concurrentFor(options.warmup, options.connections, subjectOnce);
      publishSubject.push(await concurrentFor(options.duration, options.connections, subjectOnce));
      await host.stop();
      await setup.purgeQueue(workerQueue);
      await setup.purgeQueue(rawQueue);
      options.log(`amqp round ${round}: consume ${Math.round(consumeRaw.at(-1)!)} / ${Math.round(consumeWorker.at(-1)!)} msg/s, publish ${Math.round(publishRaw.at(-1)!)} / ${Math.round(publishSubject.at(-1)!)} msg/s (raw / jararaca)`);
    }
  } finally {
    const { delayBucket } = await import('jararaca/message-bus');
    const retryQueues = [1000, 2000, 4000, 8000].map((ms) => `${workerQueue}.retry.${delayBucket(ms)}`); // the default retry policy's
    for (const q of [rawQueue, workerQueue, `${workerQueue}.dlq`, ...retryQueues]) await setup.deleteQueue(q).catch(() => undefined);
    await setup.deleteExchange(exchange).catch(() => undefined);
    await setup.deleteExchange(`${exchange}.delay`).catch(() => undefined);
    await conn.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
  const note = `${MESSAGES} persistent messages per consume run, prefetch ${PREFETCH}; publish with ${options.connections} concurrent publishers; medians of ${options.rounds} rounds`;
  return [
    compare('amqp: consume + ack throughput', { label: 'raw amqplib consumer', value: median(consumeRaw), unit: 'msg/s' }, { label: 'jararaca worker, no-op handler', value: median(consumeWorker), unit: 'msg/s' }, { target: 0.85, note }),
    compare('amqp: confirmed publish throughput', { label: 'raw amqplib confirm channel', value: median(publishRaw), unit: 'msg/s' }, { label: 'usePublisher() per execution', value: median(publishSubject), unit: 'msg/s' }, { target: 0.9 }),
  ];
}
