// Scenario: SIGTERM while a handler is stuck (it holds a database transaction and ignores its
// signal for 14 s), in a worker (a message handler), an http process (a route) or a scheduler
// (an action). Expected: the process exits within the role's shutdownTimeoutMs plus the
// documented margin (SHUTDOWN_MARGIN_MS; the scheduler adds its 1 s grace), and a stuck message
// goes back to its queue.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { SHUTDOWN_MARGIN_MS } from '../../host/cli/shutdown-deadline.ts';
import { freshDatabase } from '../support/database.ts';
import { servers, spawnHost, uniqueName, writeService } from '../support/host.ts';
import { deleteBrokerObjects } from '../support/broker.ts';
import { publishRaw, queueDepth, until } from './support.ts';

export interface StuckShutdownFigures extends Record<string, number> {
  shutdownTimeoutMs: number;
  marginMs: number;
  stuckMs: number;
  /** SIGTERM to process exit. */
  exitMs: number;
  exitCode: number;
  /** The stuck message, back in its queue after the exit. */
  requeued: number;
}

export async function stuckShutdown(options: { shutdownTimeoutMs: number; stuckMs: number; role?: 'worker' | 'http' | 'scheduler' }): Promise<StuckShutdownFigures> {
  const role = options.role ?? 'worker';
  const db = await freshDatabase('jrr_fault_stop');
  const name = uniqueName('fault-stop').replace(/_/g, '-');
  const exchange = uniqueName('jrr_fault_ex');
  const dir = writeService({
    'service.yaml': `name: ${name}
interceptors:
  - use: message-bus
    with:
      url: ${servers.amqp}
      exchange: ${exchange}
  - use: knex-session
    with:
      url: ${db.url}
controllers:
  - ./controller.ts
${role}:
  ${role === 'http' ? 'port: 0' : 'healthPort: 0'}
  shutdownTimeoutMs: ${options.shutdownTimeoutMs}
`,
    'controller.ts': `
import { writeFileSync } from 'node:fs';
import { defineMessage, Get, MessageBusController, MessageHandler, RestController, ScheduledAction } from 'jararaca';
import { useSession } from 'jararaca/knex-session';
export const Slow = defineMessage({ name: 'Slow', topic: 'fault.slow', kind: 'task', schema: { type: 'object' } as const });
async function stuck() {
  await useSession().raw('select 1'); // holds a pooled connection in an open transaction
  writeFileSync(process.env.STARTED_FLAG!, 'x');
  await new Promise((r) => setTimeout(r, ${options.stuckMs})); // deaf to its signal
}
@MessageBusController()
export class Stuck {
  @MessageHandler(Slow, { name: 'stuck' })
  async run() {
    await stuck();
  }
}
@RestController('/stuck')
export class StuckRoute {
  @Get('/')
  async get() {
    await stuck();
    return { done: true };
  }
}
export class StuckAction {
  @ScheduledAction('* * * * * *', { name: 'stuck' })
  async tick() {
    if (process.env.ROLE === 'scheduler') await stuck();
  }
}
`,
  });
  const flag = path.join(dir, 'started');
  const host = await spawnHost(path.join(dir, 'service.yaml'), { args: ['--role', role], env: { STARTED_FLAG: flag, LOG_LEVEL: 'warn', ROLE: role }, waitReady: role === 'http' });
  try {
    if (role === 'worker') {
      await until('the queue exists', async () => (await queueDepth(`${name}.stuck`)) !== undefined, 30000);
      await publishRaw(exchange, 'fault.slow', 'Slow', [{}]);
    }
    if (role === 'http') void fetch(`${host.url}/stuck`).catch(() => undefined);
    await until('the handler started', () => existsSync(flag), 30000);
    const t0 = Date.now();
    const code = await host.stop('SIGTERM');
    const exitMs = Date.now() - t0;
    let requeued = 0;
    if (role === 'worker') await until('the message back in its queue', async () => (requeued = (await queueDepth(`${name}.stuck`)) ?? 0) === 1, 10000).catch(() => undefined);
    return { shutdownTimeoutMs: options.shutdownTimeoutMs, marginMs: SHUTDOWN_MARGIN_MS + (role === 'scheduler' ? 1000 : 0), stuckMs: options.stuckMs, exitMs, exitCode: code ?? -1, requeued };
  } finally {
    await host.stop('SIGKILL');
    if (role === 'worker') await deleteBrokerObjects(name, [exchange]);
    await db.drop();
  }
}
