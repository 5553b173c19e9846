// Built-in `knex-session` plugin: one database transaction per execution (useSession()), on
// PostgreSQL (postgres://) or embedded PostgreSQL (pglite://memory, pglite://./dir), with knex
// migrations, health and 503s when the database is away. Uses only the public plugin API.
import { asValue } from 'awilix/browser';
import { definePlugin, redactUrl, SCHEDULER_LOCK_CAPABILITY, type Execution, type Next } from 'jararaca';
import { Connectivity } from './connectivity.ts';
import { devUrl, staysInMemory } from './dev-url.ts';
import { prepareMemoryPglite } from './pglite-memory.ts';
import { createKnex, describeUrl, urlProblem } from './engine.ts';
import { isConnectionError, mapDatabaseError } from './errors.ts';
import { LazyTransaction, type TransactionSettings } from './lazy-transaction.ts';
import { SESSION_METADATA, type SessionMetadata } from './metadata.ts';
import { migrateCommand } from './migrate-command.ts';
import { migrateLatest } from './migrations.ts';
import { schedulerLockProvider } from './scheduler-lock.ts';
import { registerConnection, sessionsOf, unregisterConnection, useConnectionIn, type ConnectionState } from './session.ts';
import { stepsOf } from './session-steps.ts';

export { useSession, withNewSession, useKnex, whenConnected, beforeDisconnect } from './session.ts';
export { onBeforeCommit, onSessionStart } from './session-steps.ts';
export type { BeforeCommitStep, SessionStartStep } from './session-steps.ts';
export { ReadOnly, NoSession, IsolationLevel, SessionOptions, SESSION_METADATA } from './metadata.ts';
export type { SessionMetadata } from './metadata.ts';
// The query builder's type, so a service needs no direct dependency on knex.
export type { Knex } from 'knex';
export { DatabaseUnavailableError, SessionError } from './errors.ts';
export { crud, Crud } from './crud.ts';
export type { CrudOptions, Page } from './crud.ts';
export { parseListQuery, applyListQuery } from './list-query.ts';
export type { ListQuery, ListQueryOptions, Filter, FilterOperator, FieldType, FieldSpec, SortSpec } from './list-query.ts';

export const optionsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['url'],
  properties: {
    connection: {
      type: 'string',
      pattern: '^[A-Za-z_][A-Za-z0-9_-]*$',
      default: 'default',
      description: "Name used by useSession(name) and the 'knex:<name>' capability. Declare one plugin entry per connection.",
    },
    url: {
      type: 'string',
      minLength: 1,
      description: 'postgres://user:password@host:5432/db (PostgreSQL), pglite://memory or pglite://./dir (embedded, relative to service.yaml).',
    },
    pool: {
      type: 'object',
      additionalProperties: false,
      properties: {
        min: { type: 'integer', minimum: 0, description: 'Connections kept open (default 0). PostgreSQL only.' },
        max: { type: 'integer', minimum: 1, description: 'Most connections, so most concurrent transactions (default 10). PostgreSQL only.' },
        acquireTimeoutMs: { type: 'integer', minimum: 1, description: 'How long an execution waits for a free connection before failing with 503 (default 10000).' },
      },
    },
    connectTimeoutMs: { type: 'integer', minimum: 1, description: 'TCP connect timeout to PostgreSQL (default 5000).' },
    migrations: {
      type: 'object',
      additionalProperties: false,
      properties: {
        directory: { type: 'string', minLength: 1, description: 'Folder of knex migration files (.ts or .js), relative to service.yaml.' },
        auto: { type: 'boolean', description: 'Run pending migrations at start, before the service reports ready.' },
      },
    },
  },
} as const;

// Shared by the executions of handlers without session metadata (knex copies it per transaction).
const DEFAULT_SETTINGS: TransactionSettings = Object.freeze({});

const plugin = definePlugin({
  name: 'knex-session',
  options: optionsSchema,
  check(ctx) {
    const problem = urlProblem(ctx.options.url);
    if (problem) ctx.report([...ctx.at, 'with', 'url'], problem);
    if (ctx.options.migrations?.auto && !ctx.options.migrations.directory) ctx.report([...ctx.at, 'with', 'migrations'], 'auto: true needs a directory');
    if (ctx.options.pool && ctx.options.pool.min !== undefined && ctx.options.pool.max !== undefined && ctx.options.pool.min > ctx.options.pool.max) {
      ctx.report([...ctx.at, 'with', 'pool', 'min'], 'must not exceed pool.max');
    }
    if (!problem && describeUrl(ctx.options.url).engine === 'pglite') {
      for (const key of ['min', 'max'] as const) {
        if (ctx.options.pool?.[key] !== undefined) ctx.report([...ctx.at, 'with', 'pool', key], 'the embedded engine (pglite://) has exactly one connection: remove pool.min and pool.max');
      }
    }
    // Connection names are unique among the knex-session entries.
    const name = ctx.options.connection ?? 'default';
    const index = ctx.at[1] as number;
    const earlier = (ctx.service.interceptors ?? []).slice(0, index).some((e) => e?.use === 'knex-session' && ((e.with as { connection?: string } | undefined)?.connection ?? 'default') === name);
    if (earlier) ctx.report([...ctx.at, 'with', 'connection'], `another knex-session entry already declares the connection '${name}': give this one a different name`);
  },
  commands: { migrate: migrateCommand },
  // A process that will run the service starts its memory database now, in PGlite's process,
  // while the rest of the service loads (setup takes it). Not when the declaration is only read.
  preload(ctx) {
    if (ctx.roles.size > 0 && staysInMemory(ctx.options.url)) prepareMemoryPglite();
  },
  setup(ctx) {
    const name = ctx.options.connection ?? 'default';
    const logger = ctx.logger.child({ connection: name });
    const url = devUrl(ctx.options.url, name, ctx.resolvePath, logger);
    const { knex, info } = createKnex({ url, pool: ctx.options.pool, connectTimeoutMs: ctx.options.connectTimeoutMs, resolvePath: ctx.resolvePath, logger });
    const directory = ctx.options.migrations?.directory ? ctx.resolvePath(ctx.options.migrations.directory) : undefined;
    const target = info.engine === 'pglite' ? `pglite:${info.target}` : info.target;
    // connectivity is read only when a query fails, after it exists.
    const state: ConnectionState = { name, knex, target, onConnectionLost: (err) => connectivity.lost(err), schemaSteps: [], stopSteps: [], initialized: false };
    const connectivity = new Connectivity({
      knex,
      logger,
      target,
      connection: name,
      onConnected: async () => {
        if (ctx.options.migrations?.auto && directory) {
          const applied = await migrateLatest(knex, directory);
          logger.info({ applied }, applied.length ? `applied ${applied.length} migration(s) on ${target}` : `migrations up to date on ${target}`);
        }
        // Other plugins' own tables (the message bus's outbox and inbox).
        for (const step of state.schemaSteps) await step(knex);
        state.initialized = true;
      },
    });
    const lost = state.onConnectionLost;
    registerConnection(ctx.container, state);

    const intercept = async (execution: Execution, next: Next): Promise<unknown> => {
      const meta = execution.getMetadata<SessionMetadata>(SESSION_METADATA);
      const sessions = sessionsOf(execution);
      useConnectionIn(execution, state);
      if (meta?.none) {
        sessions.set(name, { none: `${execution.handler.name} is marked @NoSession(): it has no database session; remove the decorator, or use withNewSession()` });
        return next();
      }
      const session = new LazyTransaction(knex, meta ? { readOnly: meta.readOnly, isolationLevel: meta.isolationLevel } : DEFAULT_SETTINGS, name);
      sessions.set(name, session);
      const steps = stepsOf(execution, name);
      let result: unknown;
      try {
        let run = true;
        for (const step of steps?.start ?? []) {
          if ((await step(session.transactor())) === false) {
            run = false;
            break;
          }
        }
        if (run) result = await next();
        // Read after next(): an outer plugin may register its step while the inner layers run.
        const before = stepsOf(execution, name)?.beforeCommit;
        if (before?.length) for (const step of before) await step(session.transactor());
      } catch (err) {
        try {
          if (session.begun) await session.rollback();
          else session.close();
        } catch (rollbackErr) {
          execution.logger.warn({ err: rollbackErr, connection: name }, 'rollback failed (the database closes the transaction when the connection drops)');
        }
        throw fail(err, session);
      }
      // Nothing was sent: no COMMIT to wait for (the common case of handlers that never query).
      if (!session.begun) {
        session.close();
        return result;
      }
      try {
        await session.commit();
      } catch (err) {
        await session.rollback().catch(() => undefined);
        throw fail(err, session);
      }
      return result;
    };
    const fail = (err: unknown, session: LazyTransaction) => {
      // A query on a transaction that its broken connection already ended reports only that it
      // ended: the connection error behind it is what the caller must hear (a 503, not a 500).
      const cause = isConnectionError(session.failure) && /Transaction query already complete/.test((err as Error)?.message ?? '') ? session.failure : err;
      if (isConnectionError(cause)) lost(cause);
      return mapDatabaseError(cause, target, name);
    };

    return {
      intercept,
      async start() {
        logger.info({ engine: info.engine, target, url: redactUrl(ctx.options.url) }, `database connection '${name}': ${info.engine} at ${target}`);
        await connectivity.start();
      },
      async stop() {
        // Other plugins' last work on this connection (the outbox relay's final pass).
        for (const step of state.stopSteps) await step(knex).catch((err: unknown) => logger.warn({ err }, 'a plugin failed its last work on the database before it closed'));
        connectivity.stop();
        unregisterConnection(ctx.container, name);
        await knex.destroy();
      },
      health: () => ({ ready: connectivity.ready, detail: connectivity.detail }),
      register: name === 'default' ? { knex: asValue(knex) } : { [`knex:${name}`]: asValue(knex) },
      provides: { [`knex:${name}`]: knex, [SCHEDULER_LOCK_CAPABILITY]: schedulerLockProvider({ knex, engine: info.engine, connection: name }) },
      describe: () => [`knex-session '${name}': ${info.engine} at ${target}${directory ? `, migrations in ${directory}${ctx.options.migrations?.auto ? ' (auto)' : ''}` : ''}`],
    };
  },
});

export default plugin;
