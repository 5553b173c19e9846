// The console's JSON API as route schemas: what Fastify validates (params, query, bodies) and what
// the OpenAPI document shows (operationId, tag, summary, security, responses). A plugin route with
// an operationId is an operation of the service's document (host/roles/http/openapi.ts); the
// responses are documentation only: the console's routes serialize with JSON.stringify.
import type { OpenApiSecurityRequirement, OpenApiSecurityScheme } from 'jararaca';

type Schema = Record<string, unknown>;

export const TAG = 'console';

/** The schemes the configured credentials answer to, and the requirement naming them. */
export function consoleSecurity(options: { viewer?: string; operator?: string; viewerToken?: string; operatorToken?: string }): {
  schemes: Record<string, OpenApiSecurityScheme>;
  security: OpenApiSecurityRequirement[];
} {
  const schemes: Record<string, OpenApiSecurityScheme> = {};
  if (options.viewer || options.operator) schemes.consoleBasic = { type: 'http', scheme: 'basic', description: "The operations console's HTTP Basic credentials (viewer or operator)." };
  if (options.viewerToken || options.operatorToken) schemes.consoleBearer = { type: 'http', scheme: 'bearer', description: "The operations console's bearer tokens (viewer or operator)." };
  // Either scheme suffices: one requirement each (an own `authenticate` hook adds none).
  return { schemes, security: Object.keys(schemes).map((name) => ({ [name]: [] })) };
}

const str = { type: 'string' } as const;
const int = { type: 'integer' } as const;
const num = { type: 'number' } as const;
const nullable = (schema: Schema) => ({ anyOf: [schema, { type: 'null' }] });
const obj = (properties: Schema, required: string[] = Object.keys(properties)) => ({ type: 'object', required, properties });
const map = (values: Schema) => ({ type: 'object', additionalProperties: values });
/** `{ t: [seconds…], <series>: [counts…] }`, one entry per 10-second bucket. */
const chart = { type: 'object', description: 'One entry per 10-second bucket: t (epoch seconds) and a count per series.', additionalProperties: { type: 'array', items: num } };

const actionRun = {
  ...obj(
    {
      action: str,
      slot: { ...int, description: 'The slot (epoch ms); for run now, when it was asked for.' },
      trigger: { enum: ['schedule', 'catch-up', 'manual'] },
      outcome: { enum: ['ok', 'failed', 'timeout', 'aborted', 'skipped'] },
      firedAt: int,
      lagMs: int,
      durationMs: int,
      replica: { ...str, description: 'The process that ran it: host:pid or JARARACA_REPLICA_ID.' },
      reason: str,
      error: str,
      by: { ...str, description: 'Who asked for a manual run.' },
    },
    ['action', 'slot', 'trigger', 'outcome', 'replica'],
  ),
  description: 'One run of a scheduled action, as the history keeps it.',
};
const pause = obj({ by: str, at: { ...int, description: 'When (epoch ms).' } }, ['at']);

const process = obj({ replica: str, roles: { type: 'array', items: str }, version: str, pid: int, ready: { type: 'boolean' }, detail: str, startedAt: int, seenAt: int, uptimeMs: int }, ['replica', 'roles', 'version', 'pid', 'ready', 'startedAt', 'seenAt', 'uptimeMs']);

const deadLetter = obj(
  { id: str, messageId: str, name: str, topic: str, error: str, attempts: int, failedAt: str, body: str, headers: { type: 'object' }, truncated: { const: true, description: 'The body was cut at 4 KiB.' } },
  ['error', 'body'],
);

const filterProperties = {
  error: { type: 'string', maxLength: 500, description: 'The error text contains it (case-insensitive).' },
  messageId: { type: 'string', maxLength: 200, description: 'The message id contains it.' },
  from: { type: 'string', format: 'date-time', description: 'Failed at or after.' },
  to: { type: 'string', format: 'date-time', description: 'Failed at or before.' },
  body: { type: 'string', maxLength: 500, description: 'The payload contains it (case-insensitive).' },
} as const;

const actionName = { type: 'object', required: ['name'], properties: { name: { type: 'string', description: 'The scheduled action.' } } } as const;

function route(operationId: string, summary: string, response: Schema, rest: Schema = {}): Schema {
  return { operationId, summary, tags: [TAG], response: { 200: response }, ...rest };
}

/** The route schemas, by route; `security` is added by the caller (it depends on the options). */
export const schemas = {
  me: route('consoleMe', 'Who is signed in, and their role', obj({ name: str, role: { enum: ['viewer', 'operator'] } })),
  routes: route(
    'consoleRoutes',
    "The service's routes with their schemas (from the OpenAPI document when it is served)",
    obj({
      source: { enum: ['openapi', 'handlers'] },
      routes: {
        type: 'array',
        items: obj({ method: str, url: str, handler: nullable(str), operationId: nullable(str), summary: nullable(str), request: nullable({ type: 'object' }), responses: nullable({ type: 'object' }), schema: nullable({ type: 'object' }) }, ['method', 'url', 'handler']),
      },
    }),
  ),
  overview: route(
    'consoleOverview',
    "The service's processes per role, and executions per kind",
    obj({
      service: str,
      store: str,
      bucketMs: int,
      roles: map({ type: 'array', items: process }),
      executions: { type: 'array', items: obj({ kind: str, perMinute: num, errorRate: num, meanMs: nullable(num), chart }) },
    }),
  ),
  handlers: route(
    'consoleHandlers',
    'Per message handler: its queue, depth, consumers, in flight, rates and dead letters; the outbox per replica',
    obj({
      transport: nullable(str),
      handlers: {
        type: 'array',
        items: obj(
          {
            name: str,
            message: str,
            topic: str,
            queue: str,
            depth: nullable(int),
            consumers: nullable(int),
            deadLetterQueue: nullable(int),
            inFlight: int,
            perMinute: num,
            lastHour: obj({ received: int, acked: int, retried: int, deadLettered: int }),
            chart,
            error: str,
          },
          ['name', 'queue', 'inFlight', 'perMinute', 'lastHour', 'chart'],
        ),
      },
      outbox: { type: 'array', items: obj({ replica: str, connection: str, pending: int, lagMs: int, at: int }) },
    }),
  ),
  websocket: route(
    'consoleWebSocket',
    'WebSocket endpoints with their connections, per replica, and rooms with their sizes',
    obj({
      endpoints: { type: 'array', items: obj({ path: str, connections: int }) },
      replicas: { type: 'array', items: obj({ replica: str, endpoints: map(int), rooms: map(int) }) },
      rooms: { type: 'array', items: obj({ room: str, size: int }) },
    }),
  ),
  deadLetters: route(
    'consoleSearchDeadLetters',
    "Search a handler's dead letters (from the index on PostgreSQL, else the queue)",
    obj({ handler: str, queue: str, source: { enum: ['index', 'queue'] }, total: int, truncatedAt: int, letters: { type: 'array', items: deadLetter } }, ['handler', 'queue', 'source', 'total', 'letters']),
    {
      querystring: {
        type: 'object',
        required: ['handler'],
        properties: { handler: { type: 'string' }, ...filterProperties, limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 }, offset: { type: 'integer', minimum: 0, default: 0 } },
      },
    },
  ),
  deadLetter: route('consoleGetDeadLetter', 'One dead letter whole, from the queue', deadLetter, {
    querystring: { type: 'object', required: ['handler', 'messageId'], properties: { handler: { type: 'string' }, messageId: { type: 'string' } } },
  }),
  deadLetterAction: (action: 'requeue' | 'purge') =>
    route(
      action === 'requeue' ? 'consoleRequeueDeadLetters' : 'consolePurgeDeadLetters',
      `${action === 'requeue' ? 'Requeue' : 'Purge'} the chosen dead letters, or all matching a filter (operator)`,
      obj({ action: { const: action }, handler: str, queue: str, [action === 'requeue' ? 'requeued' : 'purged']: int, remaining: nullable(int) }),
      {
        body: {
          type: 'object',
          required: ['handler'],
          additionalProperties: false,
          description: 'Either messageIds (the letters chosen) or filter ({} for all), not both.',
          properties: {
            handler: { type: 'string' },
            messageIds: { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 10000 },
            filter: { type: 'object', additionalProperties: false, properties: filterProperties },
          },
        },
      },
    ),
  scheduled: route(
    'consoleScheduledActions',
    'The scheduled actions: cron, time zone, next fires, pause, last run, missed slots',
    obj({
      actions: {
        type: 'array',
        items: obj({
          name: str,
          handler: str,
          cron: str,
          timezone: str,
          exclusive: { type: 'boolean' },
          overlap: str,
          timeoutMs: nullable(int),
          next: { type: 'array', items: { type: 'string', format: 'date-time' } },
          paused: nullable(pause),
          lastRun: nullable(actionRun),
          missed: { type: 'array', items: { type: 'string', format: 'date-time' } },
        }),
      },
    }),
  ),
  runs: route('consoleActionRuns', "A scheduled action's history of runs, newest first", obj({ runs: { type: 'array', items: actionRun } }), {
    params: actionName,
    querystring: { type: 'object', properties: { limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 }, before: { type: 'string', format: 'date-time' } } },
  }),
  runNow: route('consoleRunActionNow', 'Run a scheduled action once, now, in this process (operator; 409 while it runs on a replica)', actionRun, { params: actionName }),
  pause: (verb: 'pause' | 'resume') =>
    route(verb === 'pause' ? 'consolePauseAction' : 'consoleResumeAction', `${verb === 'pause' ? 'Pause' : 'Resume'} a scheduled action on every replica (operator)`, obj({ action: str, paused: nullable(pause) }), { params: actionName }),
};
