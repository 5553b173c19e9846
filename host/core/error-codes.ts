// The one table of error codes (fastify's lib/errors.js is the model): every JRR_* code the host
// and the built-in plugins raise, with its class, HTTP status, CLI exit code and meaning.
// docs/errors.md is generated from it (`npm run gen`); test/core/error-table.test.ts fails when a
// JRR_* code in host/ or plugins/ is missing here, or when the page is stale.
// Third-party plugins add rows with registerErrorCodes() and types with an ErrorCodes augmentation.

/** One row of the table. */
export interface ErrorCodeRow {
  /** Which part raises it: host, http, worker, scheduler, a plugin's name... (groups docs/errors.md). */
  readonly part: string;
  /** The class thrown, or where the code appears when nothing is thrown: "(reply body)", "(error frame)", "(warning)", "(log)". */
  readonly class: string;
  /** The HTTP status a client receives for it, when it reaches one. */
  readonly status?: number | string;
  /**
   * The exit code of jararaca-host when this error ends it: 2 for a declaration or usage mistake
   * the user must fix, 1 for a run-time failure, 0 for a code that is not an error (a warning).
   */
  readonly exit: 0 | 1 | 2;
  /** One line: what happened. The error's message says what to change. */
  readonly meaning: string;
}

const row = (part: string, cls: string, exit: 0 | 1 | 2, meaning: string, status?: number | string): ErrorCodeRow =>
  status === undefined ? { part, class: cls, exit, meaning } : { part, class: cls, exit, meaning, status };

/** Codes of the host and the built-in plugins. */
export const builtinErrorCodes = {
  // host: lifecycle, declaration, modules, container, executions, hooks, plugin API, CLI
  JRR_SCHEMA_INVALID: row('host', 'JararacaError', 2, 'A JSON Schema given to the host (a message\'s payload, a plugin\'s options, a config schema, a WebSocket message) is not valid JSON Schema 2020-12, or a route\'s schema is not valid draft-07 (Fastify\'s); the message names the keyword.'),
  JRR_DECLARATION_INVALID: row('host', 'DeclarationError', 2, 'The service declaration has mistakes; `problems` lists each with its file, line and path.'),
  JRR_DECLARATION_NOT_FOUND: row('host', 'JararacaError', 2, 'The service declaration file cannot be read.'),
  JRR_USAGE: row('host', 'UsageError', 2, 'A command line the CLI cannot run: unknown command, role or option value.'),
  JRR_MODULE_LOAD: row('host', 'ModuleLoadError', 1, 'A module named by the declaration (controller, provider, plugin) cannot be found or fails while loading.'),
  JRR_EXPORT_MISSING: row('host', 'ModuleLoadError', 1, 'A module has no export of the name the declaration gives.'),
  JRR_DUPLICATE_INSTANCE: row('host', 'JararacaError', 2, 'Two copies of jararaca are loaded in one process: a package that uses it lists it under peerDependencies, not dependencies.'),
  JRR_RESOLUTION: row('host', 'ResolutionError', 2, 'A controller or provider needs a token nobody registers, or the dependencies form a cycle.'),
  JRR_PROVIDER_FAILED: row('host', 'JararacaError', 1, 'A provider threw while it was built.'),
  JRR_SCOPED_TOKEN_MISSING: row('host', 'JararacaError', 1, 'A token a plugin registers per execution was not registered in this execution.'),
  JRR_CRADLE_READONLY: row('host', 'ArgumentError', 1, 'Code assigned a property on an execution scope\'s cradle, which is read-only.'),
  JRR_NOT_STARTED: row('host', 'JararacaError', 1, 'The host\'s container was read before the host started.'),
  JRR_STOP_FAILED: row('host', 'JararacaError', 1, 'Errors happened while the host stopped (providers, plugins, container); the log has each.'),
  JRR_CONTROLLER_NOT_EXPORTED: row('host', '(warning)', 0, 'A class is decorated as a controller but no module under controllers: exports it, so it serves nothing.'),
  JRR_LEGACY_DECORATORS: row('host', 'JararacaError', 1, 'A decorator ran as a legacy (experimentalDecorators) decorator; jararaca needs standard ones.'),
  JRR_DECORATOR_TARGET: row('host', 'ArgumentError', 1, 'A handler decorator is on a static or private method.'),
  JRR_PLUGIN_DEFINITION: row('host', 'ArgumentError', 1, 'definePlugin() was given no name or no setup function.'),
  JRR_NO_EXECUTION: row('host', 'HookError', 1, 'A hook was called outside an execution (at module load, in a constructor...).'),
  JRR_HOOK_PLUGIN_MISSING: row('host', 'HookError', 1, 'A hook needs a plugin the service does not declare.'),
  JRR_HOOK_NOT_PROVIDED: row('host', 'HookError', 1, 'A hook\'s plugin is declared but gave it no value in this execution.'),
  JRR_NEXT_TWICE: row('host', 'JararacaError', 1, 'An interceptor called next() twice.'),
  JRR_ABORTED: row('host', 'JararacaError', 1, 'A handler finished after its execution was aborted; its work is rolled back.'),
  JRR_TIMEOUT: row('host', 'TimeoutAbort', 1, 'An execution ran past its timeout; its signal aborted with a TimeoutAbort.'),
  JRR_SHUTDOWN: row('host', 'ShutdownAbort', 1, 'The process is stopping; the execution\'s signal aborted with a ShutdownAbort.'),
  JRR_CLIENT_GONE: row('host', 'ClientGoneAbort', 1, 'The HTTP client or WebSocket disconnected before the execution finished.'),
  JRR_MIDDLEWARE_INVALID: row('host', 'ArgumentError', 1, '@UseMiddleware() or @UseGuard() was given something that is not a function or a class with intercept() / canActivate().'),
  JRR_GUARD_REJECTED: row('host', 'GuardRejected', 1, 'A guard answered false: 403 for HTTP, a dead letter for a message, a skipped run for an action, an error frame or close for WebSocket.', 403),
  JRR_ERROR_MAPPING: row('host', 'ArgumentError', 1, '@DomainError() or mapError() was given no error class, or a status outside 400–599.'),
  JRR_ERROR_CODE_TAKEN: row('host', 'JararacaError', 1, 'registerErrorCodes() was given a code the table already has with another row.'),

  // http role
  'JRR_HTTP_<status>': row('http', 'HttpError', 1, 'A handler threw HttpError(status, message): the client receives that status and message.', 'the status given'),
  JRR_VALIDATION: row('http', '(reply body)', 1, 'A request\'s body, params, querystring or headers do not match the route\'s schema.', 400),
  JRR_ROUTE_NOT_FOUND: row('http', '(reply body)', 1, 'No route matches the request\'s method and URL.', 404),
  JRR_ROUTE_INVALID: row('http', 'HandlerDeclarationError', 2, 'A route cannot be built: declared twice, or its schema does not compile, or its OpenAPI operationId or security scheme is wrong.'),
  JRR_UPSTREAM_UNAVAILABLE: row('http', 'UpstreamUnavailableError', 1, 'A call to another service through serviceFetch failed on every attempt (network error or timeout); a request that lets it escape answers 503.', 503),

  // worker role and messages
  JRR_MESSAGE_DEFINITION: row('worker', 'ArgumentError', 1, 'defineMessage() was given no name.'),
  JRR_NOT_A_MESSAGE: row('worker', 'ArgumentError', 1, '@MessageHandler() or publish() was given something that defineMessage() did not make.'),
  JRR_MESSAGE_TOPIC: row('worker', 'JararacaError', 1, 'A message topic or a handler\'s topic pattern is not dot-separated words.'),
  JRR_MESSAGE_KIND: row('worker', 'JararacaError', 1, 'A message\'s kind is neither \'task\' nor \'event\'.'),
  JRR_MESSAGE_POISON: row('worker', 'PoisonMessageError', 1, 'A delivered message cannot be read (not UTF-8, not JSON, a content type other than JSON, or its payload fails the schema): dead-lettered without retries.'),
  JRR_MESSAGE_INVALID: row('worker', 'MessageValidationError', 1, 'A message payload does not match its schema (on publish, or on delivery).'),
  JRR_NO_TRANSPORT: row('worker', 'RoleUnavailableError', 2, 'The worker role or the dlq command needs a message transport and the service declares none.'),
  JRR_UNKNOWN_HANDLER: row('worker', 'RoleUnavailableError', 2, '--handlers names a message handler the service does not have.'),
  JRR_DLQ_IN_PROCESS: row('worker', 'RoleUnavailableError', 2, 'dlq was run against an in-process (memory://) broker, whose dead letters no other process can reach.'),
  JRR_DLQ_FAILED: row('worker', 'JararacaError', 1, 'A dlq command failed against the broker.'),
  JRR_DECLARE_IN_PROCESS: row('worker', 'RoleUnavailableError', 2, 'declare was run against an in-process (memory://) broker: there is no broker topology to declare.'),
  JRR_DECLARE_FAILED: row('worker', 'JararacaError', 1, 'The declare command could not assert the topology on the broker.'),
  JRR_MESSAGE_UNRECOVERABLE: row('worker', 'Unrecoverable', 1, 'A handler threw Unrecoverable (or called ctx.deadLetter()): the message was dead-lettered at once, with the reason.'),
  JRR_MESSAGE_RETRY_LATER: row('worker', 'RetryLater', 1, 'A handler threw RetryLater (or called ctx.retryLater()): the message is retried after the delay it gave.'),
  JRR_RETRY_DELAY: row('worker', 'ArgumentError', 1, 'retryLater() was given a delay outside 0 to 7 days.'),
  JRR_ATTEMPT_FORGED: row('worker', '(log)', 0, 'A delivery carried an x-jrr-attempt header outside 1..maxAttempts; it was counted as the first attempt.'),
  JRR_DEPENDENCY_DOWN: row('worker', '(log)', 0, 'A dependency (the database, another plugin\'s server) is not ready: the worker paused its consumers; messages wait in their queues.'),
  JRR_SHUTDOWN_DEADLINE: row('host', '(log)', 1, 'The process did not stop within its shutdown deadline (the roles\' shutdownTimeoutMs plus the margin) and exited anyway.'),

  // scheduler role
  JRR_CRON_INVALID: row('scheduler', 'CronError', 1, 'A cron expression or its time zone is not valid.'),
  JRR_UNKNOWN_ACTION: row('scheduler', 'RoleUnavailableError', 2, '--actions names a scheduled action the service does not have.'),
  JRR_SCHEDULER_LOCK: row('scheduler', 'JararacaError', 1, 'scheduler.lock names a lock backend that is not supported.'),
  JRR_LEASE_LOST: row('scheduler', 'JararacaError', 1, 'A scheduled run lost its running lease (renewed too late) and was aborted so two never overlap.'),

  // jararaca/testing
  JRR_TEST_TIMEOUT: row('testing', 'JararacaError', 1, 'A test host was not ready, not idle (settle()), or a WebSocket frame did not come, within the time allowed.'),
  JRR_TEST_WS_CONNECT: row('testing', 'JararacaError', 1, 'The test WebSocket client could not connect (no endpoint on that path, or it refused the upgrade).'),

  // knex-session plugin
  JRR_DB_UNAVAILABLE: row('knex-session', 'DatabaseUnavailableError', 1, 'The database cannot be reached.', 503),
  JRR_DB_INVALID_VALUE: row('knex-session', 'InvalidValueError', 1, 'PostgreSQL refused a value of the request (SQLSTATE class 22: NUL in text, a date out of range, bad input syntax).', 400),
  JRR_DB_POOL_TIMEOUT: row('knex-session', 'DatabaseUnavailableError', 1, 'No pooled database connection became free in time.', 503),
  JRR_NO_SESSION: row('knex-session', 'SessionError', 1, 'useSession() found no transaction for its connection in this execution.'),
  JRR_SESSION_ENDED: row('knex-session', 'SessionError', 1, 'A session was used after its execution committed or rolled back.'),
  JRR_SESSION_USER_PARAMS: row('knex-session', 'SessionError', 1, 'userParams were set on a session\'s transaction, which only inherits them.'),
  JRR_SESSION_DUPLICATE_CONNECTION: row('knex-session', 'SessionError', 1, 'Two knex-session plugins declare the same connection name.'),
  JRR_SESSION_AMBIGUOUS_CONNECTION: row('knex-session', 'SessionError', 1, 'Several hosts in one process declare the connection, and the call is outside any execution: call it inside one (a handler, or host.run() of the test kit).'),
  JRR_SESSION_UNKNOWN_CONNECTION: row('knex-session', 'SessionError', 1, 'No knex-session plugin declares the connection asked for.'),
  JRR_MIGRATIONS_DIRECTORY: row('knex-session', 'JararacaError', 1, 'The migrations directory does not exist.'),
  JRR_MIGRATION_INVALID: row('knex-session', 'JararacaError', 1, 'A migration file exports no up(knex) function.'),
  JRR_MIGRATIONS_MISSING: row('knex-session', 'JararacaError', 2, 'The database records a migration as applied that has no file in the migrations directory (under any extension).'),

  // message-bus plugin
  JRR_BUS_REFUSED: row('message-bus', 'JararacaError', 1, 'The broker refused the connection: unknown virtual host, no permission on it, or a wrong user or password.'),
  JRR_BUS_UNREACHABLE: row('message-bus', 'JararacaError', 1, 'The broker could not be reached within connectTimeoutMs at start.'),
  JRR_BUS_UNAVAILABLE: row('message-bus', 'BusUnavailableError', 1, 'A publish was not confirmed by the broker within publishTimeoutMs (without the outbox); an HTTP client gets 503 with Retry-After.', 503),
  JRR_BUS_CLOSED: row('message-bus', 'JararacaError', 1, 'A publish was attempted after the message bus closed (the process is stopping).'),
  JRR_BUS_TOPOLOGY: row('message-bus', 'JararacaError', 1, 'The broker refused a queue or exchange: one of that name exists with other settings.'),
  JRR_PUBLISH_DELAY: row('message-bus', 'JararacaError', 1, 'publish() was given a delayMs or at outside what the bus accepts (0 to 7 days without the outbox), or both.'),
  JRR_PUBLISH_HEADER: row('message-bus', 'JararacaError', 1, 'publish() was given a reserved x-jrr-* header.'),

  // websocket plugin
  JRR_WS_NO_ENDPOINT: row('websocket', 'HandlerDeclarationError', 2, 'A WebSocket handler\'s class has no @WebSocketEndpoint(path).'),
  JRR_WS_DUPLICATE_ENDPOINT: row('websocket', 'HandlerDeclarationError', 2, 'Two controllers declare the same WebSocket endpoint path.'),
  JRR_WS_DUPLICATE_HANDLER: row('websocket', 'JararacaError', 1, 'An endpoint has two handlers for the same event or message type.'),
  JRR_WS_ENDPOINT_PATH: row('websocket', 'ArgumentError', 1, '@WebSocketEndpoint(path) was given a path that does not start with \'/\'.'),
  JRR_WS_ENDPOINT_OPTIONS: row('websocket', 'ArgumentError', 1, '@WebSocketEndpoint(path, options) was given an option of the wrong kind (rawFrames is \'text\', \'binary\' or \'both\').'),
  JRR_WS_MESSAGE_DEFINITION: row('websocket', 'ArgumentError', 1, 'defineWsMessage() was given an empty type.'),
  JRR_WS_MANAGER_ARGUMENT: row('websocket', 'ArgumentError', 1, 'useWsManager() was given a connection id, room or user id that is not a non-empty string.'),
  JRR_WS_EXECUTION_OVER: row('websocket', 'JararacaError', 1, 'useWsManager() was called after its execution finished.'),
  JRR_WS_BAD_MESSAGE: row('websocket', 'JararacaError', 1, 'A WebSocket message is not { type: string, data? } (sent by a client, or given to the manager).'),
  JRR_WS_CLOSE: row('websocket', 'WsClose', 1, 'A handler closed the connection with a close code (WsClose).'),
  JRR_WS_BACKEND_UNAVAILABLE: row('websocket', 'WsBackendUnavailableError', 1, 'The WebSocket backend (Redis) is unreachable.'),
  JRR_WS_DROPPED: row('websocket', '(log)', 0, 'WebSocket messages were dropped because the backend was unavailable.'),
  JRR_TELEMETRY_CONFIG: row('telemetry', 'JararacaError', 2, 'The telemetry settings (service.yaml or OTEL_* environment variables) ask for something the plugin cannot do (an unsupported protocol or sampler).'),
  JRR_WS_TOO_MANY_CONNECTIONS: row('websocket', '(reply body)', 1, 'The server refused a WebSocket upgrade: maxConnections reached.', 503),
  JRR_WS_BINARY: row('websocket', '(error frame)', 1, 'A client sent a binary frame; only JSON text is accepted.'),
  JRR_WS_BAD_JSON: row('websocket', '(error frame)', 1, 'A client sent a frame that is not valid JSON.'),
  JRR_WS_UNKNOWN_TYPE: row('websocket', '(error frame)', 1, 'A client sent a message type the endpoint does not know.'),
  JRR_WS_INVALID: row('websocket', '(error frame)', 1, 'A client\'s message data does not match its type\'s schema.'),
  JRR_WS_NO_HANDLER: row('websocket', '(error frame)', 1, 'A client sent a message type the endpoint knows but does not handle.'),
  JRR_WS_HANDLER_FAILED: row('websocket', '(error frame)', 1, 'A WebSocket message handler failed; the server log has the error.'),
} as const satisfies Record<string, ErrorCodeRow>;

type BuiltinErrorCodes = { [K in Exclude<keyof typeof builtinErrorCodes, 'JRR_HTTP_<status>'>]: true };

/**
 * The codes a JararacaError may carry: the keys of this interface. A plugin (or an application)
 * adds its own by augmenting it, and registers their rows with registerErrorCodes():
 *
 *     declare module 'jararaca' { interface ErrorCodes { ACME_QUOTA: true } }
 */
export interface ErrorCodes extends BuiltinErrorCodes {}

/** A code in the table; HttpError's codes are `JRR_HTTP_<status>`. */
export type ErrorCode = (keyof ErrorCodes & string) | `JRR_HTTP_${number}`;

const rows = new Map<string, ErrorCodeRow>(Object.entries(builtinErrorCodes));

/** Adds rows (see registerErrorCodes in errors.ts); returns a code that is taken with another row, adding nothing then. */
export function addErrorCodeRows(added: Readonly<Record<string, ErrorCodeRow>>): { taken: string; part: string } | undefined {
  for (const [code, row] of Object.entries(added)) {
    const known = rows.get(code);
    if (known && JSON.stringify(known) !== JSON.stringify(row)) return { taken: code, part: known.part };
  }
  for (const [code, row] of Object.entries(added)) rows.set(code, Object.freeze({ ...row }));
  return undefined;
}

/** The row of a code (`JRR_HTTP_404` → the `JRR_HTTP_<status>` row), or undefined when no one registered it. */
export function errorCodeRow(code: string): ErrorCodeRow | undefined {
  return rows.get(/^JRR_HTTP_\d+$/.test(code) ? 'JRR_HTTP_<status>' : code);
}

/** Every row, built-in first, in registration order. */
export function errorCodeTable(): ReadonlyMap<string, ErrorCodeRow> {
  return rows;
}
