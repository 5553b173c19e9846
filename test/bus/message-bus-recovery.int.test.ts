// The worker on a real RabbitMQ when its queue disappears under it: the broker cancels the
// consumer, and the worker must declare the queue again and go on consuming (the Python original
// silently dropped such a consumer).
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, test } from 'node:test';
import amqp from 'amqplib';
import { freePort, servers, spawnHost, uniqueName, writeService } from '../support/host.ts';
import { deleteBrokerObjects } from '../support/broker.ts';

const service = uniqueName('recovery').replace(/_/g, '-');
const exchange = uniqueName('recovery_ex');
const queue = `${service}.note`;

after(() => deleteBrokerObjects(service, [exchange]));

test('a deleted queue is declared again and consumed: messages published after it arrive', async () => {
  const dir = writeService({
    'notes.ts': `
import { defineMessage, MessageBusController, MessageHandler, useExecution } from 'jararaca';
export const Note = defineMessage({ name: 'Note', topic: 'notes.new', kind: 'event', schema: { type: 'object', required: ['n'], properties: { n: { type: 'integer' } } } as const });
@MessageBusController()
export class Notes {
  @MessageHandler(Note, { name: 'note' })
  async note(payload) { useExecution().logger.info({ n: payload.n }, 'note received'); }
}
`,
    'service.yaml': `name: ${service}
interceptors:
  - use: message-bus
    with: { url: "${servers.amqp}", exchange: ${exchange} }
controllers: [./notes.ts]
`,
  });
  const worker = await spawnHost(path.join(dir, 'service.yaml'), { args: ['--role', 'worker', '--health-port', String(await freePort())], waitReady: false });
  const conn = await amqp.connect(servers.amqp);
  try {
    await worker.waitForLog((l) => l.msg === 'consuming');
    const ch = await conn.createConfirmChannel();
    const send = async (n: number) => {
      ch.publish(exchange, 'notes.new', Buffer.from(JSON.stringify({ n })), { contentType: 'application/json', type: 'Note', persistent: true });
      await ch.waitForConfirms();
    };
    await send(1);
    await worker.waitForLog((l) => l.msg === 'note received' && l.n === 1);

    await ch.deleteQueue(queue);
    await worker.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('the broker cancelled the consumer'));
    await worker.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('reconnected to the message broker'));
    await send(2);
    await worker.waitForLog((l) => l.msg === 'note received' && l.n === 2);
  } finally {
    await conn.close();
    assert.equal(await worker.stop(), 0);
  }
});
