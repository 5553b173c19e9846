// knex-session on a real PostgreSQL: a fresh database for this file, dropped afterwards.
import knex, { type Knex } from 'knex';
import { freshDatabase } from '../support/database.ts';
import { knexSessionSuite } from './knex-session-suite.ts';

let db: { url: string; drop(): Promise<void> };
let reader: Knex | undefined;

knexSessionSuite({
  engine: 'PostgreSQL',
  pool: '{ max: 5, acquireTimeoutMs: 2000 }',
  poolSize: 5,
  holdMs: 3000,
  async url() {
    db = await freshDatabase('jrr_session');
    return db.url;
  },
  async count(name) {
    reader ??= knex({ client: 'pg', connection: db.url, pool: { min: 0, max: 1 } });
    const row = (await reader('items').where({ name }).count({ n: '*' }).first()) as { n: string };
    return Number(row.n);
  },
  async cleanup() {
    await reader?.destroy();
    await db?.drop();
  },
});
