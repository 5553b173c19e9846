// Migration names without extensions, on a real PostgreSQL (a fresh database, dropped afterwards).
import knex from 'knex';
import { freshDatabase } from '../support/database.ts';
import { migrationNamesSuite } from './migration-names-suite.ts';

let db: { url: string; drop(): Promise<void> } | undefined;

migrationNamesSuite({
  engine: 'PostgreSQL',
  async url() {
    db = await freshDatabase('jrr_migration_names');
    return db.url;
  },
  open(url) {
    return knex({ client: 'pg', connection: url, pool: { min: 0, max: 1 } });
  },
  async cleanup() {
    await db?.drop();
  },
});
