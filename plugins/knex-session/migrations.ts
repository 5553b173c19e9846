// Knex migrations from a directory of .ts/.js files, loaded with import() so that TypeScript
// migrations run through the host's tsx loader and ES modules work (knex's own loader uses
// require() for files it believes are CommonJS).
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { JararacaError } from 'jararaca';
import type { Knex } from 'knex';

const EXTENSIONS = /\.(ts|mts|js|mjs|cjs)$/;
export const MIGRATIONS_TABLE = 'knex_migrations';

interface MigrationFile {
  name: string;
  file: string;
}

class DirectoryMigrationSource implements Knex.MigrationSource<MigrationFile> {
  constructor(readonly directory: string) {}

  async getMigrations(): Promise<MigrationFile[]> {
    if (!existsSync(this.directory)) {
      throw new JararacaError('JRR_MIGRATIONS_DIRECTORY', `the migrations directory ${this.directory} does not exist: create it, or fix migrations.directory of the knex-session plugin (relative to service.yaml)`);
    }
    return readdirSync(this.directory)
      .filter((f) => EXTENSIONS.test(f) && !/\.d\.[mc]?ts$/.test(f))
      .sort()
      .map((f) => ({ name: f, file: path.join(this.directory, f) }));
  }

  getMigrationName(migration: MigrationFile): string {
    return migration.name;
  }

  async getMigration(migration: MigrationFile): Promise<Knex.Migration> {
    const mod = (await import(pathToFileURL(migration.file).href)) as Partial<Knex.Migration> & { default?: Partial<Knex.Migration> };
    const found = typeof mod.up === 'function' ? mod : mod.default;
    if (!found || typeof found.up !== 'function') {
      throw new JararacaError('JRR_MIGRATION_INVALID', `migration ${migration.file} exports no up(knex) function: export async function up(knex) { ... } and down(knex)`);
    }
    return found as Knex.Migration;
  }
}

export function migratorConfig(directory: string): Knex.MigratorConfig {
  return { migrationSource: new DirectoryMigrationSource(directory), tableName: MIGRATIONS_TABLE };
}

export interface MigrationStatus {
  completed: string[];
  pending: string[];
}

/** Runs every pending migration in one batch; retries while another process holds the migration lock. */
export async function migrateLatest(knex: Knex, directory: string, lockWaitMs = 30000): Promise<string[]> {
  const deadline = Date.now() + lockWaitMs;
  for (;;) {
    try {
      const [, names] = (await knex.migrate.latest(migratorConfig(directory))) as [number, string[]];
      return names;
    } catch (err) {
      if ((err as Error).name !== 'MigrationLocked' || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/** Undoes the last batch, or every batch with `all`. */
export async function migrateRollback(knex: Knex, directory: string, all = false): Promise<string[]> {
  const [, names] = (await knex.migrate.rollback(migratorConfig(directory), all)) as [number, string[]];
  return names;
}

export async function migrationStatus(knex: Knex, directory: string): Promise<MigrationStatus> {
  const [completed, pending] = (await knex.migrate.list(migratorConfig(directory))) as [Array<{ name: string }>, MigrationFile[]];
  return { completed: completed.map((m) => m.name), pending: pending.map((m) => m.name) };
}

const TEMPLATE = `import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // await knex.schema.createTable('things', (t) => { t.uuid('id').primary(); });
}

export async function down(knex: Knex): Promise<void> {
  // await knex.schema.dropTable('things');
}
`;

/** Writes `<timestamp>_<name>.ts` with up/down stubs; returns its path. */
export function makeMigration(directory: string, name: string): string {
  if (!/^[\w-]+$/.test(name)) throw new JararacaError('JRR_USAGE', `migration names may use letters, digits, _ and -; got '${name}'`);
  mkdirSync(directory, { recursive: true });
  const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
  const file = path.join(directory, `${stamp}_${name}.ts`);
  writeFileSync(file, TEMPLATE, { flag: 'wx' });
  return file;
}
