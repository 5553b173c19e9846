// The roles this build runs, and the sections each adds to `validate`. A role's module (Fastify
// and the route machinery, the worker's consumer, the scheduler's cron) is imported only when
// that role starts or is described: a process runs the modules of its own roles.
import type { Host, RoleHandle, RoleOptions } from '../host.ts';
import type { Role } from '../core/plugin.ts';

export interface RoleEntry {
  start(host: Host, options: RoleOptions): Promise<RoleHandle>;
  /** Lines `validate` prints for this role's handlers. */
  describe(host: Host): Promise<string[]>;
}

const http = () => import('../roles/http/server.ts');
const worker = () => import('../roles/worker/role.ts');
const scheduler = () => import('../roles/scheduler/role.ts');

export const ROLE_ENTRIES: Record<Role, RoleEntry> = {
  http: {
    start: async (host, options) => (await http()).startHttpRole(host, { port: options.port }),
    describe: async (host) => {
      const routes = (await http()).describeRoutes(host);
      return [`routes (${routes.length}):`, ...routes.map((r) => '  ' + r)];
    },
  },
  worker: { start: async (host, options) => (await worker()).startWorkerRole(host, options), describe: async (host) => (await worker()).describeMessageHandlers(host) },
  scheduler: { start: async (host, options) => (await scheduler()).startSchedulerRole(host, options), describe: async (host) => (await scheduler()).describeScheduledActions(host) },
};

/** --role values and the roles each runs. */
export const ROLE_CHOICES: Record<string, Role[]> = { http: ['http'], worker: ['worker'], scheduler: ['scheduler'], all: ['http', 'worker', 'scheduler'] };
