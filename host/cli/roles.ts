// The roles this build runs, and the sections each adds to `validate`.
import type { Host, RoleHandle, RoleOptions } from '../host.ts';
import type { Role } from '../core/plugin.ts';
import { describeRoutes, startHttpRole } from '../roles/http/server.ts';
import { describeScheduledActions, startSchedulerRole } from '../roles/scheduler/role.ts';
import { describeMessageHandlers, startWorkerRole } from '../roles/worker/role.ts';

export interface RoleEntry {
  start(host: Host, options: RoleOptions): Promise<RoleHandle>;
  /** Lines `validate` prints for this role's handlers. */
  describe(host: Host): string[];
}

export const ROLE_ENTRIES: Record<Role, RoleEntry> = {
  http: {
    start: (host, options) => startHttpRole(host, { port: options.port }),
    describe: (host) => {
      const routes = describeRoutes(host);
      return [`routes (${routes.length}):`, ...routes.map((r) => '  ' + r)];
    },
  },
  worker: { start: (host, options) => startWorkerRole(host, options), describe: (host) => describeMessageHandlers(host) },
  scheduler: { start: (host, options) => startSchedulerRole(host, options), describe: (host) => describeScheduledActions(host) },
};

/** --role values and the roles each runs. */
export const ROLE_CHOICES: Record<string, Role[]> = { http: ['http'], worker: ['worker'], scheduler: ['scheduler'], all: ['http', 'worker', 'scheduler'] };
