// jararaca-host: run a service in a role, validate its declaration, or run a plugin's command.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { defaultDeclarationPath } from '../core/declaration.ts';
import { exitCodeOf, UsageError } from '../core/errors.ts';
import { closest } from '../core/schema.ts';
import type { CliIO } from './io.ts';
import { redactingIO } from './redacting-io.ts';
import { ROLE_CHOICES } from './roles.ts';

// Each command's module is imported when that command runs: a role's start does not pay for
// the generators (json-schema-to-typescript, prettier), the dev watcher (chokidar) or init.
const asyncapi: typeof import('./asyncapi.ts').asyncapi = async (...a) => (await import('./asyncapi.ts')).asyncapi(...a);
const dev: typeof import('./dev.ts').dev = async (...a) => (await import('./dev.ts')).dev(...a);
const pluginCommandsHelp: typeof import('./help.ts').pluginCommandsHelp = async (...a) => (await import('./help.ts')).pluginCommandsHelp(...a);
const genClient: typeof import('./gen-client.ts').genClient = async (...a) => (await import('./gen-client.ts')).genClient(...a);
const init: typeof import('./init.ts').init = async (...a) => (await import('./init.ts')).init(...a);
const openapi: typeof import('./openapi.ts').openapi = async (...a) => (await import('./openapi.ts')).openapi(...a);
const runPluginCommand: typeof import('./plugin-command.ts').runPluginCommand = async (...a) => (await import('./plugin-command.ts')).runPluginCommand(...a);
const run: typeof import('./run.ts').run = async (...a) => (await import('./run.ts')).run(...a);
const validate: typeof import('./validate.ts').validate = async (...a) => (await import('./validate.ts')).validate(...a);

export type { CliIO } from './io.ts';

const USAGE = `Usage: jararaca-host [run] [--config PATH] [--role http|worker|scheduler|all] [--port N]
       jararaca-host dev [same options as run]     run, restarting on a change of service.yaml or a
                                                   module it loaded; pglite://memory kept in .jararaca/
       jararaca-host validate [--config PATH]
       jararaca-host openapi [--out FILE] [--config PATH]    the OpenAPI 3.1 document of the routes, nothing started
       jararaca-host asyncapi [--out FILE] [--config PATH]   the AsyncAPI 3 document (bus and WebSocket), nothing started
       jararaca-host gen-client --out DIR [--config PATH]    typed clients: REST, WebSocket, messages
       jararaca-host init NAME [--jararaca SPEC]   a new project in ./NAME (npm install && npm test)
       jararaca-host COMMAND ... [--config PATH]   commands of the declared plugins, e.g.
                                                   migrate latest|rollback|status|make NAME (knex-session)
                                                   dlq list|requeue|purge --handler NAME (message-bus)
                                                   declare (message-bus: assert the topology, consume nothing)
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
  --out PATH      openapi: the file to write; gen-client: the folder
  -h, --help      this text

Exit codes: 0 stopped cleanly; 1 failed at run time; 2 bad declaration or usage.`;

export async function main(argv: string[], given: CliIO = process): Promise<number> {
  const io = redactingIO(given);
  if (argv[0] === 'init') return init(argv.slice(1), io).catch((err: unknown) => report(err, io));
  if (argv[0] === 'asyncapi') return asyncapi(argv.slice(1), io).catch((err: unknown) => report(err, io));
  if (argv[0] && !argv[0].startsWith('-') && !['run', 'dev', 'validate', 'help', 'openapi', 'gen-client'].includes(argv[0])) {
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
        out: { type: 'string', short: 'o' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    const unknown = /Unknown option '(--?[^']+)'/.exec((err as Error).message)?.[1];
    const options = ['--config', '--role', '--port', '--health-port', '--handlers', '--actions', '--out', '--help'];
    const guess = unknown ? closest(unknown, options) : undefined;
    const message = unknown ? `unknown option '${unknown}'${guess ? ` (did you mean '${guess}'?)` : ''}` : (err as Error).message;
    io.stderr.write(`jararaca-host: ${message}\n\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  const command = positionals[0] ?? 'run';
  const config = values.config ? path.resolve(values.config) : defaultDeclarationPath();
  if (values.help || command === 'help') {
    io.stdout.write(USAGE + '\n' + (await pluginCommandsHelp(config)));
    return 0;
  }
  try {
    if (command === 'validate') return await validate(config, io);
    if (command === 'openapi') return await openapi(config, values.out, io);
    if (command === 'gen-client') {
      if (!values.out) throw new UsageError('JRR_USAGE', 'gen-client needs --out DIR: the folder to write the client to');
      return await genClient(config, values.out, io);
    }
    if (command !== 'run' && command !== 'dev') throw new UsageError('JRR_USAGE', `unknown command '${command}'`);
    const roles = ROLE_CHOICES[values.role ?? 'all'];
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
    if (command === 'dev') {
      const runArgs = ['--role', values.role ?? 'all'];
      for (const key of ['port', 'health-port', 'handlers', 'actions'] as const) if (values[key] !== undefined) runArgs.push(`--${key}`, values[key]);
      return await dev({ config, runArgs }, io);
    }
    return await run(config, roles, { port, healthPort, handlers: list(values.handlers), actions: list(values.actions) });
  } catch (err) {
    return report(err, io);
  }
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
