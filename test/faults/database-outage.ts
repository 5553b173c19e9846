// Scenario: PostgreSQL unreachable (a forwarder cut) while messages are queued for a worker
// whose handler writes to it. Expected: nothing dead-lettered, every message handled (written
// once) after the database returns, the worker not ready during the outage.
import knex from 'knex';
import path from 'node:path';
import { freshDatabase } from '../support/database.ts';
import { servers, spawnHost, uniqueName, writeService } from '../support/host.ts';
import { targetOf, TcpForwarder } from '../support/tcp-forwarder.ts';
import { deleteBrokerObjects } from '../support/broker.ts';
import { publishRaw, queueDepth, until } from './support.ts';

export interface DatabaseOutageFigures extends Record<string, number> {
  messages: number;
  outageMs: number;
  handled: number;
  deadLettered: number;
  /** Attempts beyond the first that the rows record (0: the outage used none). */
  extraAttempts: number;
  notReadyDuringOutage: number;
  /** From the forwarder's restore to the last message handled. */
  catchUpMs: number;
}

export async function databaseOutage(options: { messages: number; outageMs: number }): Promise<DatabaseOutageFigures> {
  const db = await freshDatabase('jrr_fault_db');
  const forwarder = await TcpForwarder.start(targetOf(db.url));
  const name = uniqueName('fault-db').replace(/_/g, '-');
  const exchange = uniqueName('jrr_fault_ex');
  const admin = knex({ client: 'pg', connection: db.url, pool: { min: 0, max: 1 } });
  await admin.schema.createTable('handled', (t) => {
    t.string('id').primary();
    t.integer('attempt').notNullable();
  });
  const dir = writeService({
    'service.yaml': `name: ${name}
interceptors:
  - use: message-bus
    with:
      url: ${servers.amqp}
      exchange: ${exchange}
  - use: knex-session
    with:
      url: ${forwarder.rewrite(db.url)}
      pool: { max: 4, acquireTimeoutMs: 2000 }
controllers:
  - ./controller.ts
worker:
  prefetch: 10
  healthPort: \${HEALTH_PORT}
`,
    'controller.ts': `
import { defineMessage, MessageBusController, MessageHandler, type MessageContext } from 'jararaca';
import { useSession } from 'jararaca/knex-session';
export const Job = defineMessage({ name: 'Job', topic: 'fault.job', kind: 'task', schema: { type: 'object', required: ['id'], properties: { id: { type: 'string' } } } as const });
@MessageBusController({ retry: { maxAttempts: 5, initialDelayMs: 100, maxDelayMs: 400 } })
export class Jobs {
  @MessageHandler(Job, { name: 'job' })
  async run(p: { id: string }, ctx: MessageContext) {
    await useSession()('handled').insert({ id: p.id, attempt: ctx.attempt }).onConflict('id').ignore();
  }
}
`,
  });
  const healthPort = 20000 + Math.floor(Math.random() * 20000);
  const host = await spawnHost(path.join(dir, 'service.yaml'), { args: ['--role', 'worker'], env: { HEALTH_PORT: String(healthPort), LOG_LEVEL: 'warn' }, waitReady: false });
  const queue = `${name}.job`;
  try {
    await until('the worker consumes', async () => (await fetch(`http://127.0.0.1:${healthPort}/health/ready`).catch(() => undefined))?.status === 200, 30000);
    forwarder.cut();
    await publishRaw(exchange, 'fault.job', 'Job', Array.from({ length: options.messages }, (_, i) => ({ id: `j${i}` })));
    let notReady = 0;
    const outageEnd = Date.now() + options.outageMs;
    while (Date.now() < outageEnd) {
      const res = await fetch(`http://127.0.0.1:${healthPort}/health/ready`).catch(() => undefined);
      if (res?.status === 503) notReady++;
      await new Promise((r) => setTimeout(r, 250));
    }
    forwarder.restore();
    const restoredAt = Date.now();
    const count = async () => Number(((await admin('handled').count({ n: '*' }).first()) as { n: string }).n);
    await until('every message handled', async () => (await count()) === options.messages, 120000, 200);
    const catchUpMs = Date.now() - restoredAt;
    const extra = Number(((await admin('handled').where('attempt', '>', 1).count({ n: '*' }).first()) as { n: string }).n);
    return {
      messages: options.messages,
      outageMs: options.outageMs,
      handled: await count(),
      deadLettered: (await queueDepth(`${queue}.dlq`)) ?? -1,
      extraAttempts: extra,
      notReadyDuringOutage: notReady,
      catchUpMs,
    };
  } finally {
    await host.stop();
    await admin.destroy();
    await forwarder.close();
    await deleteBrokerObjects(name, [exchange]);
    await db.drop();
  }
}
