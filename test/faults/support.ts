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

/** Prints a scenario's figures (the fault runner collects these lines). */
export function printFigures(scenario: string, figures: Record<string, number | string | boolean>): void {
  process.stdout.write(`FIGURES ${JSON.stringify({ scenario, ...figures })}\n`);
}
