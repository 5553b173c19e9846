// Migrations are recorded without their file extension: a service migrated from its .ts files in
// development runs `migrate status` / `latest` / `rollback` from its built .js files, and records
// an earlier version wrote with the extension still match. Run on PostgreSQL and on PGlite.
import assert from 'node:assert/strict';
import { readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type { Knex } from 'knex';
import { runHost, writeService } from '../support/host.ts';

export interface MigrationNamesTarget {
  engine: string;
  /** The knex-session url for a service folder (a fresh database each call). */
  url(): Promise<string>;
  /** A connection to that database from the test, while no host holds it. */
  open(url: string, dir: string): Knex;
  cleanup(): Promise<void>;
}

const migration = (table: string) => `
export async function up(knex) { await knex.schema.createTable('${table}', (t) => { t.increments('id'); }); }
export async function down(knex) { await knex.schema.dropTable('${table}'); }
`;

export function migrationNamesSuite(target: MigrationNamesTarget): void {
  test(`${target.engine}: migrated from .ts, the built .js is up to date; records with an extension still match`, async (t) => {
    t.after(() => target.cleanup());
    const url = await target.url();
    const dir = writeService({
      'service.yaml': `name: migration-names\ninterceptors:\n  - use: knex-session\n    with:\n      url: ${JSON.stringify(url)}\n      migrations: { directory: ./migrations }\n`,
      'migrations/20240101000000_items.ts': migration('items'),
      'migrations/20240102000000_products.ts': migration('products'),
    });
    const config = path.join(dir, 'service.yaml');
    const migrate = async (...args: string[]) => {
      const r = await runHost(['migrate', ...args, '--config', config]);
      return { ...r, out: r.stdout + r.stderr };
    };
    const migrations = path.join(dir, 'migrations');
    const build = () => {
      for (const f of readdirSync(migrations)) if (f.endsWith('.ts')) renameSync(path.join(migrations, f), path.join(migrations, f.replace(/\.ts$/, '.js')));
    };

    let r = await migrate('latest');
    assert.equal(r.code, 0, r.out);
    assert.match(r.stdout, /applied 2 migration\(s\)/);

    build();
    r = await migrate('status');
    assert.equal(r.code, 0, r.out);
    assert.match(r.stdout, /applied {2}20240101000000_items\n {2}applied {2}20240102000000_products\n2 applied, 0 pending/);
    r = await migrate('latest');
    assert.equal(r.code, 0, r.out);
    assert.match(r.stdout, /already up to date/);

    // Records as an earlier version wrote them: with the .ts extension.
    const db = target.open(url, dir);
    try {
      await db('knex_migrations').update({ name: db.raw("name || '.ts'") });
    } finally {
      await db.destroy();
    }
    writeFileSync(path.join(migrations, '20240103000000_orders.js'), migration('orders'));
    r = await migrate('status');
    assert.equal(r.code, 0, r.out);
    assert.match(r.stdout, /applied {2}20240101000000_items\.ts\n {2}applied {2}20240102000000_products\.ts\n {2}pending {2}20240103000000_orders\n2 applied, 1 pending/);
    r = await migrate('latest');
    assert.equal(r.code, 0, r.out);
    assert.match(r.stdout, /applied 1 migration\(s\)[^]*20240103000000_orders/);
    r = await migrate('rollback');
    assert.equal(r.code, 0, r.out);
    assert.match(r.stdout, /rolled back 1 migration\(s\)[^]*20240103000000_orders/);

    // A recorded migration with no file under any extension: named, with what to do, and no stack.
    rmSync(path.join(migrations, '20240101000000_items.js'));
    r = await migrate('status');
    assert.equal(r.code, 2, r.out);
    assert.match(r.stderr, /records 1 applied migration\(s\) with no file in .*: 20240101000000_items\.ts\. Point migrations\.directory/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });
}
