// The scheduler role: each scheduled action's fires run as executions through the interceptor
// onion (own scope, session, publisher), coordinated across replicas by the selected lock.
import type { FastifyBaseLogger } from 'fastify';
import type { Host, RoleHandle, RoleOptions } from '../../host.ts';
import { startHealthServer, type HealthServer } from '../../runtime/health-server.ts';
import { describeScheduledActions as describeActions, resolveActions } from './actions.ts';
import { systemClock, type Clock } from './clock.ts';
import type { ScheduledFire } from './decorator.ts';
import { Scheduler } from './scheduler.ts';
import { replicaId } from '../../core/replica.ts';
import { historyRetention } from './lock.ts';
import { buildLock, describeLockPlan, planServiceLock } from './select-lock.ts';
import { reportFire, reportFired } from './slot-events.ts';

/** `jararaca-host validate`: the actions with their next fires, and the lock (a scheduler.lock no declared plugin serves is an error here too). */
export function describeScheduledActions(host: Host, now = Date.now()): string[] {
  const plan = planServiceLock(host);
  const lines = describeActions(host, now);
  host.declaration.throwIfProblems();
  return lines.length ? [...lines, describeLockPlan(plan)] : lines;
}

export async function startSchedulerRole(host: Host, options: Pick<RoleOptions, 'actions' | 'healthPort'> & { clock?: Clock } = {}): Promise<RoleHandle> {
  const settings = host.service.scheduler ?? {};
  const logger = host.logger.child({ role: 'scheduler' });
  const lockPlan = planServiceLock(host); // before resolveActions, which throws every declaration mistake
  const actions = resolveActions(host, options.actions);
  const byName = new Map(actions.map((a) => [a.name, a]));
  // A test host passes its own clock (jararaca/testing's TestClock); processes run on the system's.
  const clock = options.clock ?? systemClock;
  const { lock, reason } = buildLock(lockPlan, { service: host.service.name, clock });
  await lock.open();
  logger.info({ lock: lock.kind, where: lock.where, reason }, `scheduler lock: ${lock.kind} (${lock.where})`);
  // With every role in one process (development) one replica is the point; elsewhere it is a trap.
  if (lock.kind === 'memory' && actions.some((a) => a.exclusive) && !host.roles.has('http')) {
    logger.warn('the scheduler lock is in process: if several scheduler replicas run this service, each fires every slot. Set scheduler.lock to redis://... (with the redis plugin) or postgres://... (with knex-session), or declare a knex-session on PostgreSQL');
  }

  const scheduler = new Scheduler({
    actions,
    lock,
    logger,
    clock,
    leaseTtlMs: settings.leaseTtlMs,
    retention: historyRetention(settings.history),
    onFire: reportFire,
    replica: replicaId(),
    run: (action, fire) => {
      const { handler } = byName.get(action.name)!;
      reportFired(action.name, fire.slot, fire.firedAt);
      const slot = fire.slot.toISOString();
      return host.execute(
        {
          kind: 'scheduled',
          handler,
          logger: logger.child({ action: action.name, slot }) as FastifyBaseLogger,
          details: { slot: fire.slot, firedAt: fire.firedAt, cron: action.schedule.expression, action: action.name },
          signal: fire.signal,
        },
        (execution) => host.handlers.invoke(execution, handler, { action: action.name, slot: fire.slot, firedAt: fire.firedAt, signal: execution.signal } satisfies ScheduledFire),
      );
    },
  });

  let health: HealthServer | undefined;
  try {
    if (!host.roles.has('http')) health = await startHealthServer(host, options.healthPort ?? settings.healthPort ?? 3002);
  } catch (err) {
    await lock.close();
    throw err;
  }
  scheduler.start();
  const next = Object.fromEntries(scheduler.nextFires().map((f) => [f.action, f.next === undefined ? null : new Date(f.next).toISOString()]));
  if (!actions.length) logger.warn('no scheduled actions to run (none declared, or none left by --actions)');
  logger.info({ actions: next, healthPort: health?.port }, `scheduler started with ${actions.length} action${actions.length === 1 ? '' : 's'}`);

  return {
    role: 'scheduler',
    address: health ? `health on port ${health.port}` : undefined,
    async stop() {
      try {
        await scheduler.stop(settings.shutdownTimeoutMs ?? 10000);
      } finally {
        await lock.close().catch((err: unknown) => logger.warn({ err }, 'could not close the scheduler lock'));
        await health?.stop();
      }
    },
  };
}
