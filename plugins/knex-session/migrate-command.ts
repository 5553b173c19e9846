// `jararaca-host migrate latest|rollback|status|make NAME [--config PATH] [--connection NAME]`.
// The plugin contributes it through `commands` in its definition: the host runs it with the
// service's declaration loaded (not started).
import path from 'node:path';
import { parseCommandArgs, redactUrl, type PluginCommand } from 'jararaca';
import { createKnex, isMemoryUrl } from './engine.ts';
import { makeMigration, migrateLatest, migrateRollback, migrationStatus } from './migrations.ts';

const USAGE = `Usage: jararaca-host migrate latest|rollback|status|make NAME [--config PATH] [--connection NAME] [--all]

Runs the knex migrations of a knex-session plugin declared in service.yaml (migrations.directory).
  latest      apply every pending migration (one batch)
  rollback    undo the last batch (--all: every batch)
  status      list applied and pending migrations
  make NAME   write migrations/<timestamp>_NAME.ts with up/down stubs

Options:
  --config PATH      the service declaration (default: ./service.yaml, else ./config/service.yaml)
  --connection NAME  which knex-session entry (default: 'default')
  --all              with rollback: every batch`;

type Options = { connection?: string; url: string; pool?: { min?: number; max?: number; acquireTimeoutMs?: number }; connectTimeoutMs?: number; migrations?: { directory?: string } };

export const migrateCommand: PluginCommand<Options> = {
  summary: 'run, undo or list knex migrations of a knex-session plugin',
  async run({ argv, io, entries, file, resolvePath, logger }) {
    const args = parseCommandArgs({ name: 'migrate', argv, io, usage: USAGE, actions: ['latest', 'rollback', 'status', 'make'], options: { connection: { type: 'string' }, all: { type: 'boolean' } } });
    if (typeof args === 'number') return args;
    const { action, values, positionals } = args;
    const name = values.connection ?? 'default';
    const entry = entries.find((e) => (e.options.connection ?? 'default') === name);
    if (!entry) {
      io.stderr.write(`jararaca-host migrate: ${file} declares no knex-session plugin with connection '${name}'` + (entries.length ? ` (declared: ${entries.map((e) => e.options.connection ?? 'default').join(', ')})` : '') + '\n');
      return 2;
    }
    const options = entry.options;
    if (!options.migrations?.directory) {
      io.stderr.write(`jararaca-host migrate: the knex-session plugin '${name}' has no migrations.directory in ${file}\n`);
      return 2;
    }
    const directory = resolvePath(options.migrations.directory);
    const shown = path.relative(process.cwd(), directory) || '.';
    if (action === 'make') {
      if (!positionals[1]) {
        io.stderr.write(`jararaca-host migrate make: give the migration a name\n\n${USAGE}\n`);
        return 2;
      }
      io.stdout.write(`created ${path.relative(process.cwd(), makeMigration(directory, positionals[1]))}\n`);
      return 0;
    }
    if (isMemoryUrl(options.url)) {
      io.stderr.write(`note: ${options.url} is a database in this command's memory: it is gone when the command ends. Use migrations.auto (the service migrates it at start), or pglite://./dir or postgres:// for a database that stays.\n`);
    }
    const { knex, info } = createKnex({ url: options.url, pool: options.pool, connectTimeoutMs: options.connectTimeoutMs, resolvePath, logger });
    const where = `${info.engine} ${info.engine === 'postgres' ? redactUrl(options.url) : info.target}`;
    try {
      if (action === 'latest') {
        const applied = await migrateLatest(knex, directory);
        io.stdout.write(applied.length ? `applied ${applied.length} migration(s) on ${where}:\n${applied.map((n) => `  ${n}\n`).join('')}` : `already up to date on ${where}\n`);
      } else if (action === 'rollback') {
        const undone = await migrateRollback(knex, directory, values.all ?? false);
        io.stdout.write(undone.length ? `rolled back ${undone.length} migration(s) on ${where}:\n${undone.map((n) => `  ${n}\n`).join('')}` : `nothing to roll back on ${where}\n`);
      } else {
        const status = await migrationStatus(knex, directory);
        io.stdout.write(
          `migrations in ${shown} on ${where}:\n` +
            status.completed.map((n) => `  applied  ${n}\n`).join('') +
            status.pending.map((n) => `  pending  ${n}\n`).join('') +
            `${status.completed.length} applied, ${status.pending.length} pending\n`,
        );
      }
      return 0;
    } finally {
      await knex.destroy();
    }
  },
};
