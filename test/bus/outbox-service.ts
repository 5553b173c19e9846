// A service for the outbox and inbox tests: POST /items inserts a row and publishes Created in
// one execution; two handlers record each delivery in the database, one through the inbox
// (`record`), one without it (`raw`, so duplicates show). GET /items/state reads it all back.
import { writeService } from '../support/host.ts';
import { eventually } from '../support/eventually.ts';

const CONTROLLER = `
import type { FastifyRequest } from 'fastify';
import { defineMessage, Get, HttpError, MessageBusController, MessageHandler, Post, RestController, type MessageContext } from 'jararaca';
import { ReadOnly, useSession } from 'jararaca/knex-session';
import { usePublisher } from 'jararaca/message-bus';

export const Created = defineMessage({
  name: 'Created',
  topic: 'item.created',
  kind: 'event',
  schema: { type: 'object', additionalProperties: false, required: ['id'], properties: { id: { type: 'string' } } } as const,
});

interface Body { id: string; count?: number; fail?: boolean; twice?: boolean; delayMs?: number; at?: string; messageId?: string }

@RestController('/items')
export class Items {
  @Post('/', { status: 201 })
  async create(req: FastifyRequest<{ Body: Body }>) {
    const b = req.body;
    await useSession()('items').insert({ id: b.id });
    const messageId = usePublisher().publish(Created, { id: b.id }, { delayMs: b.delayMs, at: b.at ? new Date(b.at) : undefined, messageId: b.messageId });
    if (b.twice) usePublisher().publish(Created, { id: b.id }, { messageId });
    for (let k = 1; k < (b.count ?? 1); k++) usePublisher().publish(Created, { id: \`\${b.id}-\${k}\` });
    if (b.fail) throw new HttpError(409, 'rolled back on purpose');
    return { id: b.id, messageId };
  }

  // A read-only transaction cannot hold outbox rows: sent directly after it.
  @Post('/readonly/:id')
  @ReadOnly()
  async readonly(req: FastifyRequest<{ Params: { id: string } }>) {
    await useSession()('items').count();
    return { messageId: usePublisher().publish(Created, { id: req.params.id }) };
  }

  @Get('/state')
  async state() {
    const trx = useSession();
    const items = (await trx('items').select('id')).map((r: { id: string }) => r.id);
    const handled = await trx('handled').select('handler', 'item_id', 'message_id', 'at').orderBy('n');
    const outbox = await trx('jararaca_outbox').select('message_id', 'sent_at');
    return { items, handled, outbox };
  }
}

@MessageBusController()
export class Handlers {
  @MessageHandler(Created, { name: 'record' })
  async record(p: { id: string }, ctx: MessageContext) {
    await useSession()('handled').insert({ handler: 'record', item_id: p.id, message_id: ctx.id });
  }

  @MessageHandler(Created, { name: 'raw', inbox: false })
  async raw(p: { id: string }, ctx: MessageContext) {
    await useSession()('handled').insert({ handler: 'raw', item_id: p.id, message_id: ctx.id });
  }
}
`;

const MIGRATION = `
import type { Knex } from 'knex';
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('items', (t) => { t.string('id').primary(); });
  await knex.schema.createTable('handled', (t) => {
    t.increments('n');
    t.string('handler').notNullable();
    t.string('item_id').notNullable();
    t.string('message_id').notNullable();
    t.timestamp('at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
}
export async function down(): Promise<void> {}
`;

/** Writes the service; `outbox: false` for the variant without it. */
export function writeOutboxService(name: string, options: { outbox?: boolean; retentionMs?: number } = {}): string {
  const outbox = options.outbox === false ? 'false' : `{ pollMs: 200, leaseMs: 5000${options.retentionMs ? `, retentionMs: ${options.retentionMs}` : ''} }`;
  const dir = writeService({
    'service.yaml': `name: ${name}
interceptors:
  - use: message-bus
    with:
      url: \${BUS_URL}
      exchange: \${BUS_EXCHANGE:-jararaca}
      publishTimeoutMs: 1000
      connectTimeoutMs: 5000
      reconnect: { initialDelayMs: 100, maxDelayMs: 400 }
      outbox: ${outbox}
  - use: knex-session
    with:
      url: \${DATABASE_URL}
      migrations: { directory: ./migrations, auto: true }
controllers:
  - ./items.ts
worker:
  shutdownTimeoutMs: 2000
logging:
  level: \${LOG_LEVEL:-info}
`,
    'items.ts': CONTROLLER,
    'migrations/20240101000000_init.ts': MIGRATION,
  });
  return `${dir}/service.yaml`;
}

export interface ItemsState {
  items: string[];
  handled: Array<{ handler: string; item_id: string; message_id: string }>;
  outbox: Array<{ message_id: string; sent_at: string | null }>;
}

export function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 20000): Promise<T> {
  return eventually(what, fn, { timeoutMs, intervalMs: 100 });
}

export function countBy(handled: ItemsState['handled'], handler: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const h of handled) if (h.handler === handler) m.set(h.item_id, (m.get(h.item_id) ?? 0) + 1);
  return m;
}
