// knex-session on the embedded engine (PGlite in a data directory of the test service, so the
// migrate command and the host see the same database, one after the other).
import { knexSessionSuite } from './knex-session-suite.ts';

knexSessionSuite({
  engine: 'PGlite',
  pool: '{ acquireTimeoutMs: 3000 }',
  poolSize: 1,
  holdMs: 4000,
  async url() {
    return 'pglite://./db';
  },
  async cleanup() {},
});
