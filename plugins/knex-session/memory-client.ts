// knex's PostgreSQL client over a pglite://memory database in PGlite's process (pglite-memory.ts):
// what knex-pglite's client does, without the `require('@electric-sql/pglite')` it starts with
// (~190 ms of a start here, for a database that runs in the other process). The database is
// made on the first connection, not with the client: a host only validated (`validate`,
// `openapi`, `asyncapi`, gen-client) never connects, so never needs it.
import { createRequire } from 'node:module';
import type { Knex } from 'knex';
import { memoryPglite, type MemoryPglite } from './pglite-memory.ts';

const require = createRequire(import.meta.url);

type Query = { sql: string; bindings?: unknown[]; options?: unknown; method?: string; response?: { rows: unknown[]; affectedRows?: number } };
type PgClient = new (config: Knex.Config) => {
  processResponse(obj: unknown, runner: unknown): unknown;
  _parseVersion(version: string): string;
};

let memoryClient: typeof Knex.Client | undefined;

/** The client class for knex({ client }); one for the process, each knex its own database. */
export function memoryClientClass(): typeof Knex.Client {
  if (memoryClient) return memoryClient;
  const ClientPG = require('knex/lib/dialects/postgres/index.js') as PgClient;
  class MemoryClient extends ClientPG {
    pglite?: MemoryPglite;
    constructor(config: Knex.Config) {
      super({ ...config, pool: { min: 1, max: 1 } }); // one connection: PGlite serves one
    }
    _driver(): void {}
    async _acquireOnlyConnection(): Promise<MemoryPglite> {
      this.pglite ??= memoryPglite();
      await this.pglite.waitReady;
      return this.pglite;
    }
    // The only connection: when it goes, the database goes.
    async destroyRawConnection(connection: MemoryPglite): Promise<void> {
      await connection.close();
    }
    async setSchemaSearchPath(connection: MemoryPglite, searchPath?: string | string[]): Promise<boolean> {
      const path = searchPath || (this as { searchPath?: string | string[] }).searchPath; // knex's config.searchPath
      if (!path) return true;
      const schemas = (Array.isArray(path) ? path : [path]).map((s) => `"${s}"`).join(',');
      await connection.query(`set search_path to ${schemas}`);
      return true;
    }
    async checkVersion(connection: MemoryPglite): Promise<string> {
      const resp = await connection.query<{ version: string }>('select version();');
      return this._parseVersion(resp.rows[0].version);
    }
    async _query(connection: MemoryPglite, obj: Query): Promise<Query> {
      obj.response = await connection.query(obj.sql, obj.bindings, obj.options as never);
      return obj;
    }
    override processResponse(obj: Query, runner: unknown): unknown {
      const command = obj.method === 'first' || obj.method === 'pluck' ? 'SELECT' : (obj.method?.toUpperCase() ?? '');
      return super.processResponse({ ...obj, response: { ...obj.response, rowCount: obj.response?.affectedRows, command } }, runner);
    }
    _stream(connection: MemoryPglite, obj: Query, stream: NodeJS.WritableStream & { emit(event: 'error', err: unknown): boolean }): Promise<void> {
      return new Promise((resolve, reject) => {
        stream.on('error', reject);
        stream.on('end', resolve);
        this._query(connection, obj)
          .then((done) => done.response?.rows.forEach((row) => stream.write(row as never)))
          .catch((err: unknown) => stream.emit('error', err))
          .then(() => stream.end());
      });
    }
  }
  return (memoryClient = MemoryClient as unknown as typeof Knex.Client);
}
