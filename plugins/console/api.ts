// The console's routes on the http role's Fastify app, under the configured path: the page, and
// the JSON API under <path>/api. Every request is authenticated; actions need the operator role
// (a viewer gets 403) and are logged with who did them. These requests are not executions: the
// console watches the service's work, it is not part of it.
import { HttpError, type FastifyInstance, type FastifyRequest, type HandlerRegistry, type OpenApiSecurityRequirement, type PluginContext } from 'jararaca';
import type { Access, ConsoleUser } from './access.ts';
import { schemas } from './api-schemas.ts';
import { consoleAsset, vendorAsset } from './assets.ts';
import type { DeadLetterQuery } from './dead-letter-index.ts';
import type { DeadLetters, Selection } from './dead-letters.ts';
import type { Overview } from './overview.ts';
import { consolePage } from './page.ts';
import { serviceRoutes } from './routes.ts';
import type { ScheduledActions } from './scheduled.ts';

export interface ConsoleApiDeps {
  path: string;
  access: Access;
  scheduled: ScheduledActions;
  overview: Overview;
  deadLetters: DeadLetters;
  handlers: HandlerRegistry;
  logger: PluginContext<unknown>['logger'];
  /** The OpenAPI requirement every API route names (the schemes of the configured credentials). */
  security: OpenApiSecurityRequirement[];
}

const users = new WeakMap<FastifyRequest, ConsoleUser>();

function userOf(request: FastifyRequest): ConsoleUser {
  return users.get(request)!;
}

export async function registerConsoleRoutes(app: FastifyInstance, deps: ConsoleApiDeps): Promise<void> {
  const { access, scheduled, logger } = deps;

  /** The operator asking, or 403; the action is logged with their name. */
  const operator = (request: FastifyRequest, action: string, target: string): ConsoleUser => {
    const user = userOf(request);
    if (user.role !== 'operator') {
      logger.warn({ console: { user: user.name, role: user.role, action, target } }, `console: ${user.name} (viewer) was refused ${action} ${target}`);
      throw new HttpError(403, `${action} needs the operator role; ${user.name} is a viewer`);
    }
    return user;
  };
  const audit = (user: ConsoleUser, action: string, target: string, result: Record<string, unknown>) =>
    logger.info({ console: { ...result, user: user.name, role: user.role, action, target } }, `console: ${user.name} ${action} ${target}`);

  // The API's schemas, with the security requirement of the configured credentials: shown in the
  // service's OpenAPI document (their operationId makes them operations there).
  const secured = <S extends Record<string, unknown>>(schema: S) => ({ schema: { ...schema, security: deps.security } });

  await app.register(
    async (scope) => {
      // The response schemas document the API; replies are not filtered through them.
      scope.setSerializerCompiler(() => (data) => JSON.stringify(data));
      scope.addHook('onRequest', async (request, reply) => {
        const user = await access.authenticate(request);
        if (!user) {
          reply.header('www-authenticate', 'Basic realm="jararaca console", charset="UTF-8"');
          throw new HttpError(401, 'the console needs credentials: HTTP Basic (user:password) or Authorization: Bearer <token>');
        }
        users.set(request, user);
      });

      scope.get('/', async (_request, reply) => reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(consolePage(deps.path)));

      scope.get<{ Params: { file: string } }>('/assets/:file', async (request, reply) => {
        const asset = await consoleAsset(request.params.file);
        if (!asset) throw HttpError.notFound(`no console asset '${request.params.file}'`);
        return reply.type(asset.type).header('cache-control', 'no-cache').send(asset.body);
      });

      scope.get<{ Params: { file: string } }>('/vendor/:file', async (request, reply) => {
        const asset = await vendorAsset(request.params.file);
        if (!asset) throw HttpError.notFound(`no console library file '${request.params.file}' (preact, htm and uplot must be installed beside jararaca)`);
        return reply.type(asset.type).header('cache-control', 'max-age=3600').send(asset.body);
      });

      scope.get('/api/me', secured(schemas.me), async (request) => userOf(request));

      scope.get('/api/routes', secured(schemas.routes), async () => serviceRoutes(app, deps.handlers, deps.path));

      scope.get('/api/overview', secured(schemas.overview), async () => deps.overview.overview());
      scope.get('/api/handlers', secured(schemas.handlers), async () => deps.overview.handlers());
      scope.get('/api/websocket', secured(schemas.websocket), async () => deps.overview.websocket());

      scope.get<{ Querystring: SearchQuery }>('/api/dead-letters', secured(schemas.deadLetters), async (request) => {
        const { handler, limit = 50, offset = 0, ...rest } = request.query;
        return deps.deadLetters.search(handler, toQuery(rest), limit, offset);
      });

      scope.get<{ Querystring: { handler: string; messageId: string } }>(
        '/api/dead-letters/one',
        secured(schemas.deadLetter),
        async (request) => deps.deadLetters.one(request.query.handler, request.query.messageId),
      );

      for (const action of ['requeue', 'purge'] as const) {
        scope.post<{ Body: { handler: string; messageIds?: string[]; filter?: Omit<SearchQuery, 'handler' | 'limit' | 'offset'> } }>(
          `/api/dead-letters/${action}`,
          secured(schemas.deadLetterAction(action)),
          async (request) => {
            const { handler, messageIds, filter } = request.body;
            const user = operator(request, action, handler);
            // Either the letters chosen or a filter (an empty filter is every dead letter): never both, never neither.
            if ((messageIds === undefined) === (filter === undefined)) throw HttpError.badRequest(`${action}: give either messageIds (the letters chosen) or filter ({} for all)`);
            const selection: Selection = messageIds ? { messageIds } : { filter: toQuery(filter!) };
            const result = await deps.deadLetters.act(action, handler, selection);
            audit(user, action === 'requeue' ? 'requeued' : 'purged', handler, { ...result, ...(messageIds ? { selected: messageIds.length } : { filter }) });
            return result;
          },
        );
      }

      scope.get('/api/scheduled', secured(schemas.scheduled), async () => ({ actions: await scheduled.list() }));

      scope.get<{ Params: { name: string }; Querystring: { limit?: number; before?: string } }>(
        '/api/scheduled/:name/runs',
        secured(schemas.runs),
        async (request) => {
          const { limit = 50, before } = request.query;
          return { runs: await scheduled.runs(request.params.name, limit, before ? Date.parse(before) : undefined) };
        },
      );

      scope.post<{ Params: { name: string } }>('/api/scheduled/:name/run', secured(schemas.runNow), async (request) => {
        const user = operator(request, 'run', request.params.name);
        scheduled.find(request.params.name);
        const run = await scheduled.runNow(request.params.name, user, request.log);
        audit(user, 'ran', request.params.name, { outcome: run.outcome, durationMs: run.durationMs });
        return run;
      });

      for (const [verb, paused] of [['pause', true], ['resume', false]] as const) {
        scope.post<{ Params: { name: string } }>(`/api/scheduled/:name/${verb}`, secured(schemas.pause(verb)), async (request) => {
          const user = operator(request, verb, request.params.name);
          const pause = await scheduled.setPaused(request.params.name, paused ? user : undefined);
          audit(user, paused ? 'paused' : 'resumed', request.params.name, {});
          return { action: request.params.name, paused: pause };
        });
      }
    },
    { prefix: deps.path === '/' ? '' : deps.path },
  );
}

interface SearchQuery {
  handler: string;
  error?: string;
  messageId?: string;
  from?: string;
  to?: string;
  body?: string;
  limit?: number;
  offset?: number;
}

function toQuery(q: Omit<SearchQuery, 'handler' | 'limit' | 'offset'>): DeadLetterQuery {
  return {
    ...(q.error ? { error: q.error } : {}),
    ...(q.messageId ? { messageId: q.messageId } : {}),
    ...(q.body ? { body: q.body } : {}),
    ...(q.from ? { from: Date.parse(q.from) } : {}),
    ...(q.to ? { to: Date.parse(q.to) } : {}),
  };
}
