// What a role is to the host: something started after the plugins and stopped before them.
import type { Role } from './plugin.ts';

/** A role a process runs: started after plugins, stopped before them. */
export interface RoleHandle {
  readonly role: Role;
  /** Lines for the start-up log and `validate`. */
  readonly address?: string;
  stop(): Promise<void>;
}

/** What the command line passes to a role. */
export interface RoleOptions {
  /** --port: the HTTP port. */
  port?: number;
  /** --health-port: the worker's or scheduler's health port when no http role runs. */
  healthPort?: number;
  /** --handlers a,b: only these message handlers (worker). */
  handlers?: string[];
  /** --actions a,b: only these scheduled actions (scheduler). */
  actions?: string[];
}
