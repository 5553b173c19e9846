// A PostgreSQL database of a test file's own, so files run in parallel and a failed run leaves
// nothing that breaks the next (dropped WITH (FORCE): a host killed mid-test may hold sessions).
import pg from 'pg';
import { servers } from './host.ts';

/** The URL of database `name` on the test server. */
export function databaseUrl(name: string): string {
  const url = new URL(servers.postgres);
  url.pathname = `/${name}`;
  return url.toString();
}

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: servers.postgres });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Creates database `name` (an identifier from uniqueName()); returns its URL. */
export async function createDatabase(name: string): Promise<string> {
  await admin(`CREATE DATABASE ${name}`);
  return databaseUrl(name);
}

export function dropDatabase(name: string): Promise<void> {
  return admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
}
