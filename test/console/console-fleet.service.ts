// A service for the console's fleet tests: knex-session on PostgreSQL (or Redis only), the
// message bus on RabbitMQ with a handler that dead-letters its messages until the `fixed` file
// exists (two kinds of error by payload), a scheduled action; heartbeats every 500 ms.
import amqp from 'amqplib';
import { servers, writeService } from '../support/host.ts';
import { liveEndpointModule } from './live-endpoint.ts';

export function fleetService(name: string, options: { exchange: string; engine: 'postgres' | 'redis'; redisPrefix: string; fixedFile: string; journal: string; websocket?: boolean }): string {
  return writeService({
    'service.yaml': `name: ${name}
interceptors:
  - use: console
    with:
      viewer: \${CONSOLE_VIEWER:-}
      operator: \${CONSOLE_OPERATOR:-}
      heartbeatMs: 500
${options.engine === 'postgres' ? '  - use: knex-session\n    with:\n      url: ${TEST_DB_URL}\n' : ''}  - use: redis
    with:
      url: \${REDIS_URL}
      prefix: '${options.redisPrefix}'
  - use: message-bus
    with:
      url: \${AMQP_URL}
      exchange: ${options.exchange}
${options.websocket ? '  - use: websocket\n    with:\n      url: memory://\n' : ''}controllers:
  - ./orders.ts
${options.websocket ? '  - ./live.ts\n' : ''}${options.engine === 'redis' ? `scheduler:\n  lock: \${REDIS_URL}/?prefix=${encodeURIComponent(options.redisPrefix)}\n` : ''}`,
    'live.ts': `import { Get, RestController } from 'jararaca';
${liveEndpointModule}@RestController('/orders')
export class OrdersApi {
  @Get('/count') count() { return { count: 0 }; }
}
`,
    'orders.ts': `import { appendFileSync, existsSync } from 'node:fs';
import { defineMessage, MessageBusController, MessageHandler, ScheduledAction, Unrecoverable } from 'jararaca';
export const Placed = defineMessage({ name: 'Placed', topic: 'orders.placed', kind: 'event', schema: { type: 'object', required: ['id', 'kind'], properties: { id: { type: 'string' }, kind: { type: 'string' } } } as const });
@MessageBusController()
export class Orders {
  @MessageHandler(Placed, { name: 'orders', retry: { maxAttempts: 1 } })
  async orders(payload: { id: string; kind: string }) {
    if (!existsSync(${JSON.stringify(options.fixedFile)})) {
      if (payload.kind === 'timeout') throw new Error('upstream timeout after 3000 ms');
      if (payload.kind === 'invalid') throw new Unrecoverable('invalid address: no such street');
    }
    appendFileSync(${JSON.stringify(options.journal)}, payload.id + '\\n');
  }
  @ScheduledAction('*/2 * * * * *', { name: 'sweep' })
  async sweep() {}
}
`,
  });
}

/** Publishes Placed messages straight to the exchange (as a foreign producer would). */
export async function publishPlaced(exchange: string, payloads: Array<{ id: string; kind: string }>): Promise<void> {
  const conn = await amqp.connect(servers.amqp);
  const ch = await conn.createConfirmChannel();
  for (const p of payloads) ch.publish(exchange, 'orders.placed', Buffer.from(JSON.stringify(p)), { contentType: 'application/json', type: 'Placed', messageId: `m-${p.id}`, persistent: true });
  await ch.waitForConfirms();
  await conn.close();
}

