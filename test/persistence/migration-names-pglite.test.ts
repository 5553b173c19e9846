// Migration names without extensions, on the embedded engine (a data directory in the service folder).
import { createRequire } from 'node:module';
import path from 'node:path';
import knex, { type Knex } from 'knex';
import { migrationNamesSuite } from './migration-names-suite.ts';

const require = createRequire(import.meta.url);

migrationNamesSuite({
  engine: 'PGlite',
  async url() {
    return 'pglite://./db';
  },
  open(_url, dir) {
    return knex({ client: require('knex-pglite') as typeof knex.Client, dialect: 'postgres', connection: { filename: path.join(dir, 'db') } } as Knex.Config);
  },
  async cleanup() {},
});
