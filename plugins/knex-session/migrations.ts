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

// A migration is recorded by its file name without the extension, so a service migrated from
// `.ts` in development runs `migrate status` from its built `.js`. Records written with an
// extension (before this) still match their file: the source names such a file as recorded.
const withoutExtension = (name: string) => name.replace(EXTENSIONS, '');

class DirectoryMigrationSource implements Knex.MigrationSource<MigrationFile> {
  readonly #recorded: Map<string, string>;

  constructor(
    readonly directory: string,
    recorded: readonly string[] = [],
  ) {
    this.#recorded = new Map(recorded.map((name) => [withoutExtension(name), name]));
  }

  async getMigrations(): Promise<MigrationFile[]> {
    if (!existsSync(this.directory)) {
      throw new JararacaError('JRR_MIGRATIONS_DIRECTORY', `the migrations directory ${this.directory} does not exist: create it, or fix migrations.directory of the knex-session plugin (relative to service.yaml)`);
    }
    // One migration per name: a folder holding both x.js and x.ts (built in place) runs x once.
    const byName = new Map<string, MigrationFile>();
    for (const f of readdirSync(this.directory).filter((f) => EXTENSIONS.test(f) && !/\.d\.[mc]?ts$/.test(f)).sort()) {
      const base = withoutExtension(f);
      const name = this.#recorded.get(base) ?? base;
      if (!byName.has(name)) byName.set(name, { name, file: path.join(this.directory, f) });
    }
    return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
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

/** The migrator's configuration, after checking that every applied migration has its file. */
async function migratorConfig(knex: Knex, directory: string): Promise<Knex.MigratorConfig> {
  const recorded = (await knex.schema.hasTable(MIGRATIONS_TABLE)) ? (await knex(MIGRATIONS_TABLE).select('name')).map((r: { name: string }) => r.name) : [];
  const source = new DirectoryMigrationSource(directory, recorded);
  const names = new Set((await source.getMigrations()).map((m) => m.name));
  const missing = recorded.filter((name) => !names.has(name));
  if (missing.length) {
    throw new JararacaError(
      'JRR_MIGRATIONS_MISSING',
      `the database records ${missing.length} applied migration(s) with no file in ${directory}: ${missing.join(', ')}. Point migrations.directory at the folder that has them (the built one holds .js files), or restore the files`,
    );
  }
  return { migrationSource: source, tableName: MIGRATIONS_TABLE };
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
      const [, names] = (await knex.migrate.latest(await migratorConfig(knex, directory))) as [number, string[]];
      return names;
    } catch (err) {
      if ((err as Error).name !== 'MigrationLocked' || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/** Undoes the last batch, or every batch with `all`. */
export async function migrateRollback(knex: Knex, directory: string, all = false): Promise<string[]> {
  const [, names] = (await knex.migrate.rollback(await migratorConfig(knex, directory), all)) as [number, string[]];
  return names;
}

export async function migrationStatus(knex: Knex, directory: string): Promise<MigrationStatus> {
  const [completed, pending] = (await knex.migrate.list(await migratorConfig(knex, directory))) as [Array<{ name: string }>, MigrationFile[]];
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
