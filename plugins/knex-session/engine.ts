// Picks the database engine from the URL: postgres:// → knex + pg against a real server;
// pglite://./dir → PostgreSQL compiled to WASM, in process (knex-pglite); pglite://memory → the
// same in a child process of this one (memory-client.ts, pglite-memory.ts).
// Both speak the same SQL, so migrations and queries run unchanged on either.
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { knexLog } from './knex-log.ts';
import { memoryClientClass } from './memory-client.ts';

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

/** pglite://memory: an embedded database in this process's memory. */
export function isMemoryUrl(url: string): boolean {
  return /^pglite:\/\/memory\/?$/i.test(url);
}

export function createKnex(options: EngineOptions): { knex: Knex; info: EngineInfo } {
  // Required here, not imported: a pglite://memory database starts in its process in preload,
  // before knex is loaded (~130 ms), and `validate` of a service with no database never loads it.
  const knex = require('knex') as typeof import('knex').knex;
  const info = describeUrl(options.url);
  const acquireConnectionTimeout = options.pool?.acquireTimeoutMs ?? 10000;
  const log = options.logger ? { log: knexLog(options.logger) } : {};
  if (info.engine === 'pglite' && info.target === 'memory') {
    return { info, knex: knex({ client: memoryClientClass(), dialect: 'postgres', connection: {}, acquireConnectionTimeout, ...log } as Knex.Config) };
  }
  if (info.engine === 'pglite') {
    // knex-pglite is CommonJS with `export =`; PGlite has exactly one connection (no pool options).
    const ClientPgLite = require('knex-pglite') as typeof Knex.Client;
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
