// The public API: import { ... } from 'jararaca'. What users and plugin authors need, listed in
// docs/api.md; what only the CLI and the roles use stays internal.
export { RestController, Singleton, Get, Post, Put, Patch, Delete, SetMetadata, classDecorator, handlerDecorator, controllerMetadata } from './core/decorators.ts';
export type { RouteOptions, RouteSpec, HttpMethod, MetadataKey, HandlerSpec, ControllerMetadata, LayerEntry, PublicMethodContext, RouteDecorator } from './core/decorators.ts';
export type { RouteRequest, RouteResult, RouteMethod } from './core/route-types.ts';
export { UseMiddleware, UseGuard, GuardRejected } from './core/middleware.ts';
export type { Middleware, MiddlewareFn, MiddlewareClass, Guard, GuardFn, GuardClass } from './core/middleware.ts';
export { DomainError, mapError, errorMappingOf, mappedError } from './core/error-mapping.ts';
export type { ErrorMapping, MappedError } from './core/error-mapping.ts';
export { definePlugin, PENDING_WORK_CAPABILITY } from './core/plugin.ts';
export { parseCommandArgs } from './core/command-args.ts';
export type { CommandArgs } from './core/command-args.ts';
export { declareHandlerKind } from './core/handler-kinds.ts';
export type { HandlerKindSpec, ServedContext } from './core/handler-kinds.ts';
export type { PluginCommand, PluginCommandContext, PluginDefinition, PluginInstance, PluginContext, PluginCheckContext, PluginPreloadContext, PendingWork, HandlerRegistry, HealthReport, Role, OpenApiContribution, OpenApiSecurityScheme, OpenApiSecurityRequirement } from './core/plugin.ts';
export type { AsyncApiBase, AsyncApiFragment, AsyncApiObject, AsyncApiValue } from './core/asyncapi-types.ts';
export { defineHook, useExecution, useContainer, useConfig } from './core/hooks.ts';
export type { Hook, HookSpec } from './core/hooks.ts';
export { Execution, currentExecution } from './core/execution.ts';
export type { DetailsOf, ExecutionInit, ExecutionKind, ExecutionKinds, HandlerInfo, Interceptor, KnownKind, Next, SpecOf } from './core/execution.ts';
export { JararacaError, HttpError, HookError, HandlerDeclarationError, DeclarationError, ResolutionError, ModuleLoadError, RoleUnavailableError, ArgumentError, formatProblem } from './core/errors.ts';
export { errorCodeRow, errorCodeTable } from './core/error-codes.ts';
export { registerErrorCodes } from './core/errors.ts';
export type { ErrorCode, ErrorCodes, ErrorCodeRow } from './core/error-codes.ts';
export type { DeclarationProblem } from './core/errors.ts';
export { Host } from './host.ts';
export type { HostOptions, RoleHandle, RoleStarter } from './host.ts';
export type { ServiceDeclaration } from './core/declaration.types.ts';
export { redactUrl, addLogFields } from './core/logger.ts';
export type { LogFieldSource } from './core/logger.ts';
export { RepeatedLog } from './core/repeated-log.ts';
export type { RepeatedLogOptions, RepeatLevel, LevelLogger } from './core/repeated-log.ts';
// The Fastify types handlers are written with, so a service needs no direct dependency on fastify.
export type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
export { ScheduledAction } from './roles/scheduler/decorator.ts';
export type { ScheduledActionOptions, ScheduledActionSpec, ScheduledDetails, ScheduledFire, OverlapPolicy, CatchUpPolicy } from './roles/scheduler/decorator.ts';
export { HTTP_ERROR_FIELDS_CAPABILITY } from './roles/http/error-fields.ts';
export type { HttpErrorFields } from './roles/http/error-fields.ts';
export { SCHEDULER_LOCK_CAPABILITY, DEFAULT_HISTORY_RETENTION } from './roles/scheduler/lock.ts';
export type { SchedulerLock, SchedulerLockProvider, Lease, ActionRun, ActionPause, HistoryRetention } from './roles/scheduler/lock.ts';
export { serviceSchedulerLock } from './roles/scheduler/select-lock.ts';
export type { LockChoice } from './roles/scheduler/select-lock.ts';
export { parseCron } from './roles/scheduler/cron.ts';
export type { CronSchedule } from './roles/scheduler/cron.ts';
export { replicaId } from './core/replica.ts';
export { defineMessage, MessageBusController, MessageHandler, MessageValidationError, planHandlers, queueSpecs, TRANSPORT_CAPABILITY } from './roles/worker/messages.ts';
export { Unrecoverable, RetryLater } from './roles/worker/settlement.ts';
export type {
  MessageDefinition, MessageKind, PayloadOf, MessageHandlerMethod, MessageHandlerOptions, MessageBusControllerOptions, MessageHandlerSpec, MessageContext, MessageHandlerPlan, RetryPolicy,
  MessageTransport, OutgoingMessage, Delivery, Settlement, QueueSpec, ConsumerHandle, DeadLetter, DeadLetterAdmin, DeadLetterFilter, QueueStats,
} from './roles/worker/messages.ts';
export { schemaIssues, formatPath, createAjv } from './core/schema.ts';
export type { JsonSchema, PathSegment, SchemaIssue } from './core/schema.ts';
export type { ExecutionScope } from './core/scope.ts';
export { TimeoutAbort, ShutdownAbort, ClientGoneAbort, runWithTimeout, systemTimers } from './runtime/abort.ts';
export type { Timers, TimeoutOptions } from './runtime/abort.ts';
export { drain } from './runtime/drain.ts';
export { serviceFetch, UpstreamUnavailableError } from './runtime/service-fetch.ts';
export type { ServiceFetchOptions } from './runtime/service-fetch.ts';
export { HEALTH_ROUTES_CAPABILITY } from './runtime/health-server.ts';
export type { HealthRoutes } from './runtime/health-server.ts';
export type { DrainOptions } from './runtime/drain.ts';
export { tracingChannel, eventChannel } from './core/diagnostics.ts';
export type { TracingChannels, EventChannels, TypedChannel, TransactionEvent, StageEvent, PublishEvent, DeliveryEvent, OutboxEvent, ScheduledEvent, WsSendEvent, WsConnectionEvent, HttpClientEvent } from './core/diagnostics.ts';
