// The HTTP role: Fastify 5 serving the controllers' routes, each request one execution.
import { STATUS_CODES } from './status-codes.ts';
import type { Socket } from 'node:net';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import ajvFormats from 'ajv-formats';
import type { RouteSpec, RestControllerSpec } from '../../core/decorators.ts';
import { mappedError } from '../../core/error-mapping.ts';
import { createDraft7Ajv } from '../../core/schema.ts';
import { HandlerDeclarationError, HttpError, JararacaError } from '../../core/errors.ts';
import type { Execution, HandlerInfo } from '../../core/execution.ts';
import type { Host, RoleHandle } from '../../host.ts';
import { ClientGoneAbort, ShutdownAbort } from '../../runtime/abort.ts';
import { drain } from '../../runtime/drain.ts';
import { registerHealthRoutes } from '../../runtime/health-server.ts';
import { errorFieldsOf, HTTP_ERROR_FIELDS_CAPABILITY, type HttpErrorFields } from './error-fields.ts';
import { registerJsonBodyParser } from './json-body.ts';
import { HANDLER_ROUTE, openApiSettings, registerOpenApi } from './openapi.ts';
import { requestIdOf } from './request-id.ts';
import { lazyRequestLogger } from './request-logger.ts';

// ajv-formats is CommonJS: under NodeNext its function is the default export's `default`.
const addFormats = ajvFormats.default;
const bodyAjv = addFormats(createDraft7Ajv({ allErrors: true, useDefaults: true, coerceTypes: false, strict: false }));
const textAjv = addFormats(createDraft7Ajv({ allErrors: true, useDefaults: true, coerceTypes: 'array', strict: false }));

export interface HttpRoleOptions {
  /** Overrides http.port (0 picks a free port). */
  port?: number;
}

// Node requires headersTimeout <= requestTimeout (0 disables the request timeout).
function headersTimeoutOf(settings: { requestTimeoutMs?: number; headersTimeoutMs?: number }): number {
  const headers = settings.headersTimeoutMs ?? 10000;
  const request = settings.requestTimeoutMs ?? 30000;
  return request > 0 ? Math.min(headers, request) : headers;
}

export function joinPath(prefix: string, path: string): string {
  const joined = `/${prefix}/${path}`.replace(/\/+/g, '/');
  return joined.length > 1 ? joined.replace(/\/$/, '') : joined;
}

/** A request being handled; `execution` is set by host.execute (the ExecutionInit `handle`). */
interface RequestEntry {
  execution?: Execution;
  /** For the ClientGoneAbort's message: `TasksController.get (GET /tasks/1)`. */
  readonly handler: string;
  readonly request: FastifyRequest;
}

// Each server's requests in flight, for the shutdown deadline to abort.
const inFlightOf = new WeakMap<object, Set<RequestEntry>>();

/** Builds the Fastify app: plugins' extensions, health, routes, errors. Not listening yet. */
export async function buildHttpServer(host: Host, options: { openapiDocument?: boolean } = {}): Promise<FastifyInstance> {
  // Fastify's own logger type is narrower than pino's; the instance is the host's pino child.
  const settings = host.service.http ?? {};
  const app = Fastify({
    loggerInstance: host.logger.child({ role: 'http' }) as FastifyBaseLogger,
    bodyLimit: settings.bodyLimit ?? 1048576,
    trustProxy: settings.trustProxy ?? false,
    // On by default: a client that sends its headers or body slowly (or not at all) is cut
    // instead of holding a connection forever. Node checks them every connectionsCheckingInterval.
    requestTimeout: settings.requestTimeoutMs ?? 30000,
    keepAliveTimeout: settings.keepAliveTimeoutMs ?? 72000,
    http: { headersTimeout: headersTimeoutOf(settings), connectionsCheckingInterval: 1000 },
    requestIdHeader: false,
    genReqId: requestIdOf,
    childLoggerFactory: lazyRequestLogger,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    // Bodies are JSON and keep their types (a number is not a title); params, querystring and
    // headers arrive as text and are coerced to the schema's types. Given here rather than by
    // setValidatorCompiler, Fastify never loads its own ajv compiler (~15 modules) to replace it.
    schemaController: { compilersFactory: { buildValidator: () => ({ schema, httpPart }) => (httpPart === 'body' ? bodyAjv : textAjv).compile(schema) } },
  });
  registerJsonBodyParser(app as unknown as FastifyInstance);

  // Callback style, not async: an async hook costs a promise and a microtask hop on every
  // response (~1 µs of CPU per request; see bench/README.md).
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.header('x-request-id', request.id);
    done(null, payload);
  });

  const errorFields = errorFieldsOf(host.capabilities<HttpErrorFields>(HTTP_ERROR_FIELDS_CAPABILITY));
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.validation) {
      return reply.code(400).send({
        statusCode: 400,
        code: 'JRR_VALIDATION',
        error: 'Bad Request',
        message: error.message,
        details: error.validation.map((v) => ({ in: error.validationContext, path: v.instancePath, message: v.message, params: v.params })),
      });
    }
    // Cut short by the client leaving or by the shutdown deadline: not a bug in the handler.
    if (error instanceof ClientGoneAbort) {
      request.log.info({ code: error.code }, 'the client went away before the response was sent');
      return reply.code(499).send({ statusCode: 499, code: error.code, error: 'Client Closed Request', message: error.message });
    }
    if (error instanceof ShutdownAbort) {
      request.log.warn({ code: error.code }, error.message);
      return reply.code(503).send({ statusCode: 503, code: error.code, error: STATUS_CODES[503], message: error.message });
    }
    if (error instanceof HttpError) {
      return reply.code(error.statusCode).send({ statusCode: error.statusCode, code: error.code, error: STATUS_CODES[error.statusCode], message: error.message, details: error.details });
    }
    // A domain error its class maps to a status (@DomainError): declared to be shown.
    const mapped = mappedError(error);
    if (mapped) {
      if (mapped.status >= 500) request.log.error({ err: error }, 'request failed with a mapped error');
      return reply.code(mapped.status).send({ statusCode: mapped.status, code: mapped.code, error: STATUS_CODES[mapped.status], message: mapped.message, details: mapped.details, ...(mapped.status >= 500 ? errorFields(request) : undefined) });
    }
    const status = error.statusCode;
    // Fastify's own client errors (bad JSON, body too large, unsupported media type) and
    // plugins' JararacaErrors that carry a status (503 for a lost database) are safe to show.
    if (typeof status === 'number' && status >= 400 && status < 600 && (status < 500 || error instanceof JararacaError)) {
      if (status >= 500) request.log.warn({ err: error }, 'request failed');
      // A dependency that will be back (the message broker): tell the client when to retry.
      const retryAfter = (error as { retryAfterSeconds?: unknown }).retryAfterSeconds;
      if (typeof retryAfter === 'number' && retryAfter > 0) reply.header('retry-after', String(Math.ceil(retryAfter)));
      return reply.code(status).send({ statusCode: status, code: error.code, error: STATUS_CODES[status], message: error.message });
    }
    // The plugins' fields (the trace id) on the line too: it is logged after the execution ended.
    const extra = errorFields(request);
    request.log.error({ err: error, ...extra }, 'unhandled error in request');
    return reply.code(500).send({ statusCode: 500, error: 'Internal Server Error', message: 'Internal Server Error', requestId: request.id, ...extra });
  });

  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send({ statusCode: 404, code: 'JRR_ROUTE_NOT_FOUND', error: 'Not Found', message: `Route ${request.method} ${request.url} not found` });
  });

  // Before any route, so @fastify/swagger sees them all; `openapiDocument` (the openapi command)
  // collects the document even where http.openapi is false, serving nothing.
  if (openApiSettings(host.service) || options.openapiDocument) {
    await registerOpenApi(app as unknown as FastifyInstance, { service: host.service, handlers: host.handlers.ofKind('http'), contributions: host.pluginInstances.flatMap((instance) => (instance.openapi ? [instance.openapi] : [])), serve: !options.openapiDocument });
  }

  registerHealthRoutes(app, host);

  // Plugins' hooks and decorators must reach every route: registered through fastify-plugin
  // on the root, before the routes. Named: for an anonymous function fastify-plugin throws an
  // Error to read a name off its stack (source-mapped under tsx, ~5 ms each).
  for (const { plugin, http } of host.httpExtensions()) await app.register(fp(async (instance) => http(instance), { name: `jararaca-plugin:${plugin}` }));

  const inFlight = new Set<RequestEntry>();
  inFlightOf.set(app, inFlight);

  for (const handler of host.handlers.ofKind('http')) {
    const spec = handler.spec;
    const url = joinPath(spec.prefix ?? '', spec.path ?? '');
    try {
      app.route({
        method: spec.method,
        url,
        schema: spec.schema,
        bodyLimit: spec.bodyLimit,
        config: { [HANDLER_ROUTE]: handler },
        // A request that fails its schema is still an execution (raised inside it, below), so
        // interceptors (audit, metrics) see the 400s too; the reply is the same.
        attachValidation: true,
        handler: (request, reply) => handleRequest(host, handler, spec, request, reply, inFlight),
      });
    } catch (err) {
      throw new HandlerDeclarationError('JRR_ROUTE_INVALID', `${handler.name} (${spec.method} ${url}): ${(err as Error).message}`, { cause: err });
    }
  }
  // Route schemas compile here: a bad one is a declaration mistake, reported before listening.
  try {
    await app.ready();
  } catch (err) {
    throw new HandlerDeclarationError('JRR_ROUTE_INVALID', `a route could not be built: ${(err as Error).message}`, { cause: err });
  }
  return app as unknown as FastifyInstance;
}

// The requests in flight on each connection. One 'close' listener per connection, not one
// added and removed per request (~1 µs per request): a connection that closes while a request's
// response is unfinished means its client left (HTTP/1.1 runs one request at a time per connection).
const requestsOnSocket = new WeakMap<Socket, Set<RequestEntry>>();

function trackOnSocket(socket: Socket, entry: RequestEntry): Set<RequestEntry> {
  let entries = requestsOnSocket.get(socket);
  if (!entries) {
    const set = (entries = new Set());
    requestsOnSocket.set(socket, set);
    socket.once('close', () => {
      for (const e of set) e.execution?.abort(new ClientGoneAbort(`${e.handler} (${e.request.method} ${e.request.url})`));
      set.clear();
    });
  }
  entries.add(entry);
  return entries;
}

function handleRequest(host: Host, handler: HandlerInfo<'http'>, spec: RouteSpec, request: FastifyRequest, reply: FastifyReply, inFlight: Set<RequestEntry>): Promise<unknown> {
  // No AbortSignal per request: the execution makes its signal only when someone reads it.
  const entry: RequestEntry = { handler: handler.name, request };
  const onSocket = trackOnSocket(request.raw.socket, entry);
  inFlight.add(entry);
  const done = () => {
    inFlight.delete(entry);
    onSocket.delete(entry);
  };
  // A client's x-request-id correlates (reqId, the response header) but is not unique: two
  // requests may send the same one. The execution id must be (the outbox groups by it), so a
  // client's id gets a fresh one; one the server generated is used as it is.
  const id = request.headers['x-request-id'] === request.id ? undefined : request.id;
  // host.execute turns every throw into a rejection. Not async: a promise and its hops fewer per request.
  return host
    .execute({ kind: 'http', handler, logger: request.log, id, details: { request, reply }, handle: entry }, (execution) => {
      if (request.validationError) throw request.validationError;
      if (spec.status) reply.code(spec.status);
      return host.handlers.invoke(execution, handler, request, reply);
    })
    .then(
      (result) => {
        done();
        if (reply.sent) return reply;
        if (result === undefined) return reply.code(reply.statusCode === 200 ? 204 : reply.statusCode).send();
        return result;
      },
      (err: unknown) => {
        done();
        throw err;
      },
    );
}

/** Starts the HTTP role: listens, and on stop closes within http.shutdownTimeoutMs. */
export async function startHttpRole(host: Host, options: HttpRoleOptions = {}): Promise<RoleHandle & { app: FastifyInstance; port: number }> {
  const settings = host.service.http ?? {};
  const app = await buildHttpServer(host);
  const address = await app.listen({ host: settings.host ?? '0.0.0.0', port: options.port ?? settings.port ?? 3000 });
  const port = (app.server.address() as { port: number }).port;
  return {
    role: 'http',
    address,
    app,
    port,
    async stop() {
      // Fastify stops accepting and waits for in-flight requests; past the deadline their
      // executions abort and the remaining connections are cut, so shutdown is bounded.
      const timeoutMs = settings.shutdownTimeoutMs ?? 10000;
      const closed = app.close();
      await drain([closed], (c) => c, {
        timeoutMs,
        onDeadline: () => {
          const requests = inFlightOf.get(app) ?? new Set<RequestEntry>();
          host.logger.warn({ timeoutMs, inFlight: requests.size }, 'shutdown timeout: aborting requests in flight and closing remaining HTTP connections');
          const reason = new ShutdownAbort('http');
          for (const entry of requests) entry.execution?.abort(reason);
          app.server.closeAllConnections();
          return closed.catch(() => undefined);
        },
      });
      await closed; // its error, if it failed
    },
  };
}

export function describeRoutes(host: Host): string[] {
  return host.handlers.ofKind('http').map((h) => {
    const r = h.spec;
    return `${r.method.padEnd(7)} ${joinPath(r.prefix ?? '', r.path ?? '')}  → ${h.name}`;
  });
}
