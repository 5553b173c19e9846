// jararaca-host: run a service in a role, or validate its declaration.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { JararacaError, RoleUnavailableError } from '../core/errors.ts';
import { exitCodeOf } from '../core/error-codes.ts';
import { defaultDeclarationPath } from '../core/declaration.ts';
import { Host, type RoleStarter } from '../host.ts';
import { buildHttpServer, describeRoutes, startHttpRole } from '../roles/http/server.ts';
import { createLogger } from '../core/logger.ts';
import { closest } from '../core/schema.ts';
import type { Role } from '../core/plugin.ts';
import { describeMessageHandlers, startWorkerRole } from '../roles/worker/role.ts';
import { dlqCommand } from './dlq.ts';
import { describeScheduledActions, startSchedulerRole } from '../roles/scheduler/role.ts';

const USAGE = `Usage: jararaca-host [run] [--config PATH] [--role http|worker|scheduler|all] [--port N]
       jararaca-host validate [--config PATH]
       jararaca-host COMMAND ... [--config PATH]   commands of the declared plugins, e.g.
                                                   migrate latest|rollback|status|make NAME (knex-session)
       jararaca-host dlq list|requeue|purge --handler NAME [--limit N] [--config PATH]
       jararaca-host --help

Runs the service declared in service.yaml in one role, or all of them in one process.

Options:
  --config PATH   the service declaration (default: ./service.yaml, else ./config/service.yaml)
  --role ROLE     http (REST and WebSocket), worker (message handlers), scheduler (cron
                  actions), or all (every role in one process; default)
  --port N        HTTP port, overriding http.port
  --health-port N health port of a worker or scheduler process (no http role)
  --handlers a,b  worker: only these message handlers
  --actions a,b   scheduler: only these scheduled actions
  -h, --help      this text

Exit codes: 0 stopped cleanly; 1 failed at run time; 2 bad declaration or usage.`;

const ROLES: Record<string, Role[]> = { http: ['http'], worker: ['worker'], scheduler: ['scheduler'], all: ['http', 'worker', 'scheduler'] };

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

/** Roles this build can run; each role's module adds itself here (one line each). */
export const roleStarters: Partial<Record<Role, (host: Host, options: RoleOptions) => Promise<Awaited<ReturnType<RoleStarter>>>>> = {
  http: (host, options) => startHttpRole(host, { port: options.port }),
  worker: (host, options) => startWorkerRole(host, options),
  scheduler: (host, options) => startSchedulerRole(host, options),
};

/** Sub-commands besides run/validate (migrate, dlq...): name → handler(argv after the name). Exit code returned. */
export const commands: Record<string, { summary: string; run(argv: string[], io: CliIO): Promise<number> }> = {};
commands.dlq = dlqCommand;

/** Extra sections printed by `validate` (message handlers, scheduled actions with next fires...). */
export const validateSections: Array<(host: Host) => string[]> = [(host) => describeScheduledActions(host), (host) => describeMessageHandlers(host)];

export interface CliIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

class UsageError extends JararacaError {}

export async function main(argv: string[], io: CliIO = process): Promise<number> {
  const sub = argv[0] && commands[argv[0]];
  if (sub) {
    try {
      return await sub.run(argv.slice(1), io);
    } catch (err) {
      return report(err, io);
    }
  }
  if (argv[0] && !argv[0].startsWith('-') && !['run', 'validate', 'help'].includes(argv[0])) {
    try {
      return await runPluginCommand(argv[0], argv.slice(1), io);
    } catch (err) {
      return report(err, io);
    }
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: 'string', short: 'c' },
        role: { type: 'string', short: 'r', default: 'all' },
        port: { type: 'string', short: 'p' },
        'health-port': { type: 'string' },
        handlers: { type: 'string' },
        actions: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    const unknown = /Unknown option '(--?[^']+)'/.exec((err as Error).message)?.[1];
    const options = ['--config', '--role', '--port', '--health-port', '--handlers', '--actions', '--help'];
    const guess = unknown ? closest(unknown, options) : undefined;
    const message = unknown ? `unknown option '${unknown}'${guess ? ` (did you mean '${guess}'?)` : ''}` : (err as Error).message;
    io.stderr.write(`jararaca-host: ${message}\n\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  const command = positionals[0] ?? 'run';
  if (values.help || command === 'help') {
    io.stdout.write(USAGE + '\n');
    return 0;
  }
  const config = values.config ? path.resolve(values.config) : defaultDeclarationPath();
  try {
    if (command === 'validate') return await validate(config, io);
    if (command !== 'run') throw new UsageError('JRR_USAGE', `unknown command '${command}'`);
    const roles = ROLES[values.role ?? 'all'];
    if (!roles) throw new UsageError('JRR_USAGE', `unknown role '${values.role}': use http, worker, scheduler or all`);
    let port: number | undefined;
    if (values.port !== undefined) {
      port = Number(values.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('JRR_USAGE', `--port must be an integer from 0 to 65535, got '${values.port}'`);
    }
    const list = (v: string | undefined) => (v === undefined ? undefined : v.split(',').map((s) => s.trim()).filter(Boolean));
    const healthPort = values['health-port'] === undefined ? undefined : Number(values['health-port']);
    if (healthPort !== undefined && (!Number.isInteger(healthPort) || healthPort < 0 || healthPort > 65535)) {
      throw new UsageError('JRR_USAGE', `--health-port must be an integer from 0 to 65535, got '${values['health-port']}'`);
    }
    return await run(config, roles, values.role === 'all', { port, healthPort, handlers: list(values.handlers), actions: list(values.actions) }, io);
  } catch (err) {
    return report(err, io);
  }
}

/**
 * A command a declared plugin contributes (`migrate` from knex-session): the declaration is
 * loaded first, since which plugins exist depends on it.
 */
async function runPluginCommand(name: string, argv: string[], io: CliIO): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { config: { type: 'string', short: 'c' } }, strict: false, allowPositionals: true });
  const config = typeof values.config === 'string' ? path.resolve(values.config) : defaultDeclarationPath();
  // Logs go to stderr: a command's stdout is its output (for pipes).
  const host = await Host.load({ config, roles: [], logger: createLogger({}, 2) });
  const provider = host.plugins.find((p) => p.definition.commands?.[name]);
  if (!provider) {
    const available = [...new Set(host.plugins.flatMap((p) => Object.keys(p.definition.commands ?? {})))];
    throw new UsageError('JRR_USAGE', `unknown command '${name}'` + (available.length ? `; this service's plugins add: ${available.join(', ')}` : ''));
  }
  return provider.definition.commands![name].run({ argv, io, host });
}

export function report(err: unknown, io: Pick<CliIO, 'stderr'>): number {
  if ((err as NodeJS.ErrnoException)?.code === 'EADDRINUSE') {
    const e = err as NodeJS.ErrnoException & { port?: number };
    io.stderr.write(`jararaca-host: port ${e.port ?? ''} is already in use: stop what listens there, or pass --port N (or set PORT, which the examples read)\n`);
    return 1;
  }
  // The exit code is the error code's row in the table: 2 for a mistake the user must fix (the
  // message says what to change: no stack), 1 for a failure.
  if (exitCodeOf(err) === 2) {
    io.stderr.write(`jararaca-host: ${(err as Error).message}\n` + (err instanceof UsageError ? `\n${USAGE}\n` : ''));
    return 2;
  }
  io.stderr.write(`jararaca-host: failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  return 1;
}

async function validate(config: string, io: CliIO): Promise<number> {
  const host = await Host.load({ config, roles: [], logger: createLogger({ level: 'warn' }, 2) });
  // What a start would find without starting anything: plugins set up, controllers built with
  // their dependencies, every handler kind served, routes and their schemas compiled.
  try {
    await host.start({}, { dryRun: true });
    const app = await buildHttpServer(host);
    await app.close();
  } finally {
    await host.stop();
  }
  const out: string[] = [`${path.relative(process.cwd(), host.declaration.file) || host.declaration.file}: service '${host.service.name}' is valid`];
  out.push(`interceptors (outermost first): ${host.plugins.map((p) => p.use).join(' → ') || 'none'}`);
  out.push(`providers: ${host.providers.map((p) => p.token).join(', ') || 'none'}`);
  out.push(`controllers: ${host.controllers.map((c) => c.cls.name).join(', ') || 'none'}`);
  const routes = describeRoutes(host);
  out.push(`routes (${routes.length}):`, ...routes.map((r) => '  ' + r));
  for (const section of validateSections) out.push(...section(host));
  out.push(...host.describePlugins());
  io.stdout.write(out.join('\n') + '\n');
  return 0;
}

async function run(config: string, roles: Role[], all: boolean, options: RoleOptions, _io: CliIO): Promise<number> {
  const runnable = roles.filter((r) => roleStarters[r]);
  const missing = roles.filter((r) => !roleStarters[r]);
  if (!all && missing.length) {
    throw new RoleUnavailableError('JRR_ROLE_UNAVAILABLE', `the ${missing.join(', ')} role is not available in this version of jararaca yet; available: ${Object.keys(roleStarters).join(', ')}`);
  }
  const host = await Host.load({ config, roles: runnable });
  if (all && missing.length) host.logger.warn({ missing }, `roles not available in this version, running ${runnable.join(', ')} only`);
  let stopping = false;
  const stopped = new Promise<number>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        host.logger.warn({ signal }, 'second signal: exiting now');
        process.exit(1);
      }
      stopping = true;
      host.logger.info({ signal }, 'stopping');
      host.stop().then(
        () => resolve(0),
        () => resolve(1),
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  await host.start(Object.fromEntries(runnable.map((r) => [r, (h: Host) => roleStarters[r]!(h, options)])));
  host.logger.info({ roles: runnable, pid: process.pid }, `${host.service.name} started`);
  const code = await stopped;
  host.logger.info('stopped');
  return code;
}
