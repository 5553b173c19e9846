// Picks the database engine from the URL: postgres:// → knex + pg against a real server;
// pglite://memory or pglite://./dir → PostgreSQL compiled to WASM, in process (knex-pglite).
// Both speak the same SQL, so migrations and queries run unchanged on either.
import { createRequire } from 'node:module';
import path from 'node:path';
import knex, { type Knex } from 'knex';
import type { Logger } from 'pino';
import { knexLog } from './knex-log.ts';
import { memoryPglite } from './pglite-memory.ts';

export type Engine = 'postgres' | 'pglite';

export interface EngineOptions {
  url: string;
  pool?: { min?: number; max?: number; acquireTimeoutMs?: number };
  connectTimeoutMs?: number;
  /** Where knex's and the pool's own warnings go (else: knex's console lines). */
  logger?: Logger;
  /** Resolves a relative pglite directory (relative to service.yaml). */
  resolvePath(specifier: string): string;
}

export interface EngineInfo {
  engine: Engine;
  /** host:port for PostgreSQL, `memory` or the data directory for PGlite: what logs name. */
  target: string;
}

const require = createRequire(import.meta.url);

/** `url` is a form this plugin accepts; returns why not otherwise. */
export function urlProblem(url: string): string | undefined {
  if (/^postgres(ql)?:\/\//i.test(url)) {
    try {
      new URL(url);
      return undefined;
    } catch {
      return 'is not a valid URL (postgres://user:password@host:5432/database)';
    }
  }
  if (/^pglite:\/\/.+/i.test(url)) return undefined;
  return "must start with postgres:// (a PostgreSQL server), pglite://memory or pglite://./data-directory (embedded PostgreSQL)";
}

export function describeUrl(url: string): EngineInfo {
  if (/^pglite:/i.test(url)) {
    const target = url.replace(/^pglite:\/\//i, '');
    return { engine: 'pglite', target: target === 'memory' ? 'memory' : target };
  }
  const u = new URL(url);
  return { engine: 'postgres', target: `${u.hostname || 'localhost'}:${u.port || '5432'}` };
}

export function createKnex(options: EngineOptions): { knex: Knex; info: EngineInfo } {
  const info = describeUrl(options.url);
  const acquireConnectionTimeout = options.pool?.acquireTimeoutMs ?? 10000;
  const log = options.logger ? { log: knexLog(options.logger) } : {};
  if (info.engine === 'pglite') {
    // knex-pglite is CommonJS with `export =`; PGlite has exactly one connection (no pool options).
    const ClientPgLite = require('knex-pglite') as typeof knex.Client;
    if (info.target === 'memory') return { info, knex: knex({ client: lazyMemoryClient(ClientPgLite), dialect: 'postgres', connection: {}, acquireConnectionTimeout, ...log } as Knex.Config) };
    const connection = { filename: options.resolvePath(info.target) };
    info.target = path.relative(process.cwd(), connection.filename) || '.';
    return { info, knex: knex({ client: ClientPgLite, dialect: 'postgres', connection, acquireConnectionTimeout, ...log } as Knex.Config) };
  }
  return {
    info,
    knex: knex({
      client: 'pg',
      connection: { connectionString: options.url, connectionTimeoutMillis: options.connectTimeoutMs ?? 5000 } as Knex.PgConnectionConfig,
      pool: { min: options.pool?.min ?? 0, max: options.pool?.max ?? 10 },
      acquireConnectionTimeout,
      ...log,
    }),
  };
}

/**
 * knex-pglite's client with the in-memory database made on the first connection, not with the
 * client: a running PGlite keeps the process alive until closed, and a host only validated
 * (`validate`, `openapi`, `asyncapi`, gen-client) never connects, so never closes it.
 */
function lazyMemoryClient(ClientPgLite: typeof knex.Client): typeof knex.Client {
  type PgliteClient = { pglite?: ReturnType<typeof memoryPglite> };
  const Lazy = class extends (ClientPgLite as unknown as new (config: Knex.Config) => object) {
    _driver(): void {}
    async _acquireOnlyConnection(this: PgliteClient) {
      this.pglite ??= memoryPglite();
      await this.pglite.waitReady;
      return this.pglite;
    }
  };
  return Lazy as unknown as typeof knex.Client;
}
