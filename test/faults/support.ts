// Shared pieces of the fault scenarios: a service with a knex-session and the message bus, the
// RabbitMQ names of a run (deleted afterwards), and waiting for a condition.
import amqp from 'amqplib';
import { servers } from '../support/host.ts';
import { eventually } from '../support/eventually.ts';

export async function until(what: string, predicate: () => Promise<boolean> | boolean, timeoutMs = 60000, everyMs = 100): Promise<void> {
  await eventually(what, predicate, { timeoutMs, intervalMs: everyMs });
}

/** Publishes `payloads` to the exchange with `topic` as plain messages, confirmed. */
export async function publishRaw(exchange: string, topic: string, name: string, payloads: unknown[], headers: Record<string, unknown> = {}): Promise<void> {
  const conn = await amqp.connect(servers.amqp);
  try {
    const ch = await conn.createConfirmChannel();
    await ch.assertExchange(exchange, 'topic', { durable: true });
    for (const [i, p] of payloads.entries()) {
      ch.publish(exchange, topic, Buffer.from(JSON.stringify(p)), { persistent: true, contentType: 'application/json', type: name, messageId: `m-${i}-${Date.now()}`, headers });
    }
    await ch.waitForConfirms();
    await ch.close();
  } finally {
    await conn.close();
  }
}

/** Message counts of queues (undefined for one that does not exist). */
export async function queueDepth(queue: string): Promise<number | undefined> {
  const conn = await amqp.connect(servers.amqp);
  try {
    const ch = await conn.createChannel();
    ch.on('error', () => undefined);
    try {
      return (await ch.checkQueue(queue)).messageCount;
    } catch {
      return undefined;
    }
  } finally {
    await conn.close().catch(() => undefined);
  }
}

/** Deletes the queues of `handlers` of service `name` and the run's exchanges. */
export async function deleteBusNames(name: string, exchange: string, handlers: string[]): Promise<void> {
  const conn = await amqp.connect(servers.amqp);
  try {
    const ch = await conn.createChannel();
    ch.on('error', () => undefined);
    const buckets = [100, 141, 200, 283, 400, 566, 800, 1131, 1600, 2263, 3200, 4525, 6400, 9051, 12800];
    for (const h of handlers) for (const q of [`${name}.${h}`, `${name}.${h}.dlq`, ...buckets.map((b) => `${name}.${h}.retry.${b}`)]) await ch.deleteQueue(q);
    await ch.deleteExchange(exchange);
    await ch.deleteExchange(`${exchange}.delay`);
    await ch.close();
  } finally {
    await conn.close();
  }
}

/** Prints a scenario's figures (the fault runner collects these lines). */
export function printFigures(scenario: string, figures: Record<string, number | string | boolean>): void {
  process.stdout.write(`FIGURES ${JSON.stringify({ scenario, ...figures })}\n`);
}
