// Explicit settlement and paused consumers on a real RabbitMQ (settlement.suite.ts); every
// queue and exchange of the run is deleted afterwards.
import amqp from 'amqplib';
import { servers } from '../support/host.ts';
import { settlementSuite } from './settlement.suite.ts';

settlementSuite('amqp', () => servers.amqp, async (name, exchange) => {
  const conn = await amqp.connect(servers.amqp);
  try {
    const ch = await conn.createChannel();
    for (const q of [`${name}.job`, `${name}.job.dlq`, ...[100, 141, 200, 283, 400].map((b) => `${name}.job.retry.${b}`)]) await ch.deleteQueue(q);
    await ch.deleteExchange(exchange);
    await ch.deleteExchange(`${exchange}.delay`);
    await ch.close();
  } finally {
    await conn.close();
  }
});
