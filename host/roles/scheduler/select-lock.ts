// Picks where replicas coordinate, from the lock providers declared plugins offer (capability
// SCHEDULER_LOCK_CAPABILITY): scheduler.lock's scheme names the provider (memory:// is the
// host's own); with no scheduler.lock, the first provider offering a default (knex-session on
// PostgreSQL); else in process. The host holds no lock driver.
import { JararacaError } from '../../core/errors.ts';
import { redactUrl } from '../../core/logger.ts';
import type { Host } from '../../host.ts';
import { systemClock, type Clock } from './clock.ts';
import { SCHEDULER_LOCK_CAPABILITY, type SchedulerLock, type SchedulerLockProvider } from './lock.ts';
import { MemoryLock } from './memory-lock.ts';

export interface LockChoice {
  lock: SchedulerLock;
  /** Why this backend, for the start-up log. */
  reason: string;
}

/** What selectLock will use, without building it (for `validate`). */
export type LockPlan =
  | { source: 'url'; url: string; provider: SchedulerLockProvider | 'memory' }
  | { source: 'default'; provider: SchedulerLockProvider }
  | { source: 'none' }
  | { source: 'missing'; problem: string };

// Only to name the plugin to add in the error: selection itself uses the declared providers.
const BUILT_IN_PROVIDERS: Record<string, string> = {
  redis: "'- use: redis' with { url: ... }",
  rediss: "'- use: redis' with { url: ... }",
  postgres: "'- use: knex-session' with { url: ... }",
  postgresql: "'- use: knex-session' with { url: ... }",
};

export function lockProviders(host: Pick<Host, 'capabilities'>): SchedulerLockProvider[] {
  return host.capabilities<SchedulerLockProvider>(SCHEDULER_LOCK_CAPABILITY);
}

export function planLock(url: string | undefined, providers: readonly SchedulerLockProvider[]): LockPlan {
  if (url) {
    const scheme = url.split(':', 1)[0].toLowerCase();
    if (scheme === 'memory') return { source: 'url', url, provider: 'memory' };
    const provider = providers.find((p) => p.schemes.includes(scheme));
    if (provider) return { source: 'url', url, provider };
    const hint = BUILT_IN_PROVIDERS[scheme];
    const offered = [...new Set(providers.flatMap((p) => p.schemes))].map((s) => `${s}://`);
    return {
      source: 'missing',
      problem:
        `'${redactUrl(url)}' needs a plugin that provides a ${scheme}:// scheduler lock, and none of the declared plugins does: ` +
        (hint
          ? `add ${hint} under interceptors:`
          : `declare a plugin that provides one (capability '${SCHEDULER_LOCK_CAPABILITY}'; built in: redis:// by the redis plugin, postgres:// by knex-session), or use memory://`) +
        (offered.length ? ` (declared plugins provide: ${offered.join(', ')})` : ''),
    };
  }
  const provider = providers.find((p) => p.defaultReason !== undefined);
  return provider ? { source: 'default', provider } : { source: 'none' };
}

/** The lock for scheduler.lock = url among these providers (not opened); throws when none serves it. */
export function selectLock(options: { url?: string; service: string; clock: Clock; providers: readonly SchedulerLockProvider[] }): LockChoice {
  return buildLock(planLock(options.url, options.providers), options);
}

/** Builds the lock of a plan (not opened). */
export function buildLock(plan: LockPlan, options: { service: string; clock: Clock }): LockChoice {
  switch (plan.source) {
    case 'missing':
      throw new JararacaError('JRR_SCHEDULER_LOCK', `scheduler.lock: ${plan.problem}`);
    case 'url':
      return {
        lock: plan.provider === 'memory' ? new MemoryLock(options.clock) : plan.provider.create({ url: plan.url, service: options.service }),
        reason: 'scheduler.lock',
      };
    case 'default':
      return { lock: plan.provider.create({ service: options.service }), reason: plan.provider.defaultReason ?? 'offered by a plugin' };
    case 'none':
      return { lock: new MemoryLock(options.clock), reason: 'no scheduler.lock and no declared plugin offers a lock' };
  }
}

/**
 * The service's lock plan. A scheduler.lock no declared plugin serves is a declaration mistake
 * (exit 2, with its line, at start and in `validate`): reported here, and thrown with any other
 * mistake by the next throwIfProblems() (resolveActions' own).
 */
export function planServiceLock(host: Pick<Host, 'capabilities' | 'declaration' | 'service'>): LockPlan {
  const plan = planLock(host.service.scheduler?.lock, lockProviders(host));
  if (plan.source === 'missing') host.declaration.report(['scheduler', 'lock'], plan.problem);
  return plan;
}

/** The `validate` line. */
export function describeLockPlan(plan: LockPlan): string {
  if (plan.source === 'missing') return `scheduler lock: none (${plan.problem})`;
  if (plan.source === 'url') return `scheduler lock: ${redactUrl(plan.url)} (${plan.provider === 'memory' ? 'memory' : plan.provider.kind})`;
  if (plan.source === 'default') return `scheduler lock: ${plan.provider.kind} (${plan.provider.defaultReason})`;
  return 'scheduler lock: in process (one replica): no scheduler.lock and no declared plugin offers a lock';
}

/**
 * The service's scheduler lock as a plugin reaches it (the console reads the history and the
 * pause flags, and takes the running lease for "run now"): the same backend the scheduler role
 * selects, not opened. Throws JRR_SCHEDULER_LOCK when scheduler.lock names none declared.
 */
export function serviceSchedulerLock(ctx: { service: { name: string; scheduler?: { lock?: string } }; capabilities<T>(name: string): T[] }): LockChoice {
  return selectLock({ url: ctx.service.scheduler?.lock, service: ctx.service.name, clock: systemClock, providers: ctx.capabilities<SchedulerLockProvider>(SCHEDULER_LOCK_CAPABILITY) });
}
