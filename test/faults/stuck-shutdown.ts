// Scenario: SIGTERM while a handler is stuck (it holds a database transaction and ignores its
// signal for 14 s). Expected: the process exits within worker.shutdownTimeoutMs plus the
// documented margin (SHUTDOWN_MARGIN_MS), and the message goes back to its queue.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { SHUTDOWN_MARGIN_MS } from '../../host/cli/shutdown-deadline.ts';
import { freshDatabase } from '../persistence/knex-session-suite.ts';
import { servers, spawnHost, uniqueName, writeService } from '../support/host.ts';
import { deleteBusNames, publishRaw, queueDepth, until } from './support.ts';

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

export async function stuckShutdown(options: { shutdownTimeoutMs: number; stuckMs: number }): Promise<StuckShutdownFigures> {
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
worker:
  healthPort: 0
  shutdownTimeoutMs: ${options.shutdownTimeoutMs}
`,
    'controller.ts': `
import { writeFileSync } from 'node:fs';
import { defineMessage, MessageBusController, MessageHandler } from 'jararaca';
import { useSession } from 'jararaca/knex-session';
export const Slow = defineMessage({ name: 'Slow', topic: 'fault.slow', kind: 'task', schema: { type: 'object' } as const });
@MessageBusController()
export class Stuck {
  @MessageHandler(Slow, { name: 'stuck' })
  async run() {
    await useSession().raw('select 1'); // holds a pooled connection in an open transaction
    writeFileSync(process.env.STARTED_FLAG!, 'x');
    await new Promise((r) => setTimeout(r, ${options.stuckMs})); // deaf to its signal
  }
}
`,
  });
  const flag = path.join(dir, 'started');
  const host = await spawnHost(path.join(dir, 'service.yaml'), { args: ['--role', 'worker'], env: { STARTED_FLAG: flag, LOG_LEVEL: 'warn' }, waitReady: false });
  try {
    await until('the queue exists', async () => (await queueDepth(`${name}.stuck`)) !== undefined, 30000);
    await publishRaw(exchange, 'fault.slow', 'Slow', [{}]);
    await until('the handler started', () => existsSync(flag), 30000);
    const t0 = Date.now();
    const code = await host.stop('SIGTERM');
    const exitMs = Date.now() - t0;
    let requeued = 0;
    await until('the message back in its queue', async () => (requeued = (await queueDepth(`${name}.stuck`)) ?? 0) === 1, 10000).catch(() => undefined);
    return { shutdownTimeoutMs: options.shutdownTimeoutMs, marginMs: SHUTDOWN_MARGIN_MS, stuckMs: options.stuckMs, exitMs, exitCode: code ?? -1, requeued };
  } finally {
    await host.stop('SIGKILL');
    await deleteBusNames(name, exchange, ['stuck']);
    await db.drop();
  }
}
