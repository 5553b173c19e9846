// What a test file declared on the shared RabbitMQ, removed in its `after`: every queue named
// `<service>.…` (handler queues, their DLQs and retry buckets, whatever retry settings made
// them) and the exchanges it names. Listed by the broker, not guessed, so nothing is left behind.
import { execFileSync } from 'node:child_process';
import amqp from 'amqplib';
import { servers } from './host.ts';

export async function deleteBrokerObjects(service: string, exchanges: string[] = []): Promise<void> {
  const listed = execFileSync('rabbitmqctl', ['-q', 'list_queues', '--no-table-headers', 'name'], { encoding: 'utf8' });
  const queues = listed.split('\n').map((line) => line.trim()).filter((q) => q.startsWith(`${service}.`));
  const connection = await amqp.connect(servers.amqp);
  try {
    for (const [kind, names] of [['queue', queues], ['exchange', exchanges.flatMap((x) => [x, `${x}.delay`])]] as const) {
      for (const name of names) {
        // A channel each: a refused delete closes its channel, and must not stop the others.
        const ch = await connection.createChannel();
        ch.on('error', () => undefined);
        await (kind === 'queue' ? ch.deleteQueue(name) : ch.deleteExchange(name)).catch(() => undefined);
        await ch.close().catch(() => undefined);
      }
    }
  } finally {
    await connection.close();
  }
}
