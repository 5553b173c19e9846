// The public API: import { ... } from 'jararaca'.
export { RestController, Get, Post, Put, Patch, Delete, SetMetadata, classDecorator, handlerDecorator, controllerMetadata } from './core/decorators.ts';
export type { RouteOptions, RouteSpec, HttpMethod, MetadataKey, HandlerSpec, ControllerMetadata } from './core/decorators.ts';
export { definePlugin, isPluginDefinition } from './core/plugin.ts';
export type { PluginCommand, PluginDefinition, PluginInstance, PluginContext, PluginCheckContext, HandlerRegistry, HealthReport, Role } from './core/plugin.ts';
export { defineHook, useExecution, useContainer, useConfig } from './core/hooks.ts';
export type { Hook, HookSpec } from './core/hooks.ts';
export { Execution, currentExecution } from './core/execution.ts';
export type { ExecutionInit, ExecutionKind, HandlerInfo, Interceptor, Next } from './core/execution.ts';
export { JararacaError, HttpError, HookError, HandlerDeclarationError, DeclarationError, ResolutionError, ModuleLoadError, RoleUnavailableError, formatProblem } from './core/errors.ts';
export type { DeclarationProblem } from './core/errors.ts';
export { Host } from './host.ts';
export type { HostOptions, RoleHandle } from './host.ts';
export { loadDeclaration, parseDeclaration } from './core/declaration.ts';
export type { ServiceDeclaration } from './core/declaration.types.ts';
export { redactUrl, createLogger } from './core/logger.ts';
export { startHttpRole, buildHttpServer } from './roles/http/server.ts';
export { ScheduledAction } from './roles/scheduler/decorator.ts';
export type { ScheduledActionOptions, ScheduledActionSpec, ScheduledFire, OverlapPolicy, CatchUpPolicy } from './roles/scheduler/decorator.ts';
export { startSchedulerRole } from './roles/scheduler/role.ts';
export { SCHEDULER_LOCK_CAPABILITY } from './roles/scheduler/lock.ts';
export type { SchedulerLock, SchedulerLockProvider, Lease } from './roles/scheduler/lock.ts';
export { defineMessage, MessageBusController, MessageHandler, MessageValidationError, planHandlers, retryDelay, DEFAULT_RETRY, TRANSPORT_CAPABILITY } from './roles/worker/messages.ts';
export type {
  MessageDefinition, MessageKind, PayloadOf, MessageHandlerOptions, MessageBusControllerOptions, MessageHandlerSpec, MessageContext, MessageHandlerPlan, RetryPolicy,
  MessageTransport, OutgoingMessage, Delivery, Settlement, QueueSpec, ConsumerHandle, DeadLetter, DeadLetterAdmin,
} from './roles/worker/messages.ts';
export { startWorkerRole } from './roles/worker/role.ts';
export type { WorkerRoleOptions } from './roles/worker/role.ts';
export { main } from './cli/main.ts';
export type { CliIO } from './cli/main.ts';
export { schemaIssues, formatPath, createAjv } from './core/schema.ts';
export type { JsonSchema, PathSegment, SchemaIssue } from './core/schema.ts';
export type { ExecutionScope } from './core/scope.ts';
