// A PostgreSQL database of a test's own, so files run in parallel and a failed run leaves nothing
// that breaks the next (dropped WITH (FORCE): a host killed mid-test may still hold sessions).
import knex from 'knex';
import { servers, uniqueName } from './host.ts';

/** Creates a database on the shared server; returns its URL and a function that drops it. */
export async function freshDatabase(prefix: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = uniqueName(prefix);
  const admin = knex({ client: 'pg', connection: servers.postgres, pool: { min: 0, max: 1 } });
  await admin.raw(`create database ??`, [name]);
  await admin.destroy();
  const url = new URL(servers.postgres);
  url.pathname = `/${name}`;
  return {
    url: url.href,
    async drop() {
      const again = knex({ client: 'pg', connection: servers.postgres, pool: { min: 0, max: 1 } });
      try {
        await again.raw(`drop database if exists ?? with (force)`, [name]);
      } finally {
        await again.destroy();
      }
    },
  };
}
