// Bounded shutdown: once a process starts stopping, it exits by a deadline whatever a handler is
// stuck on. Each role already gives its work shutdownTimeoutMs and then aborts and requeues it;
// what can still hang afterwards is a plugin's close (a database pool waiting for the
// connection a stuck handler holds, a socket that never answers). The deadline is the roles'
// timeouts (they stop one after another) plus SHUTDOWN_MARGIN_MS for closing plugins.
import type { ServiceDeclaration } from '../core/declaration.types.ts';
import type { Role } from '../core/plugin.ts';

/** Time plugins and singletons get to close after the last role's shutdownTimeoutMs. */
export const SHUTDOWN_MARGIN_MS = 2000;

const DEFAULT_TIMEOUT_MS = 10000;
// The scheduler gives an aborted action one more second to return (docs/scheduler.md).
const ROLE_GRACE_MS: Partial<Record<Role, number>> = { scheduler: 1000 };

/** How long after SIGTERM a process running `roles` may take to exit. */
export function shutdownDeadlineMs(service: ServiceDeclaration, roles: Iterable<Role>): number {
  let total = SHUTDOWN_MARGIN_MS;
  for (const role of roles) total += (service[role]?.shutdownTimeoutMs ?? DEFAULT_TIMEOUT_MS) + (ROLE_GRACE_MS[role] ?? 0);
  return total;
}

/** Resolves with `stopped`'s outcome, or with 'deadline' once `ms` passed (the timer keeps nothing alive). */
export function withShutdownDeadline<T>(stopped: Promise<T>, ms: number): Promise<T | 'deadline'> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'deadline'>((resolve) => {
    timer = setTimeout(() => resolve('deadline'), ms);
  });
  return Promise.race([stopped, deadline]).finally(() => clearTimeout(timer));
}
