// The public API: import { ... } from 'jararaca'.
export { RestController, Get, Post, Put, Patch, Delete, SetMetadata, classDecorator, handlerDecorator, controllerMetadata } from './decorators.ts';
export type { RouteOptions, RouteSpec, HttpMethod, MetadataKey, HandlerSpec, ControllerMetadata } from './decorators.ts';
export { definePlugin, isPluginDefinition } from './plugin.ts';
export type { PluginCommand, PluginDefinition, PluginInstance, PluginContext, PluginCheckContext, HandlerRegistry, HealthReport, Role } from './plugin.ts';
export { defineHook, useExecution, useContainer, useConfig } from './hooks.ts';
export type { Hook, HookSpec } from './hooks.ts';
export { Execution, currentExecution } from './execution.ts';
export type { ExecutionInit, ExecutionKind, HandlerInfo, Interceptor, Next } from './execution.ts';
export { JararacaError, HttpError, HookError, HandlerDeclarationError, DeclarationError, ResolutionError, ModuleLoadError, RoleUnavailableError, formatProblem } from './errors.ts';
export type { DeclarationProblem } from './errors.ts';
export { Host } from './host.ts';
export type { HostOptions, RoleHandle } from './host.ts';
export { loadDeclaration, parseDeclaration } from './declaration.ts';
export type { ServiceDeclaration } from './declaration.types.ts';
export { redactUrl, createLogger } from './logger.ts';
export { startHttpRole, buildHttpServer } from './http.ts';
export { ScheduledAction } from './scheduler/decorator.ts';
export type { ScheduledActionOptions, ScheduledActionSpec, ScheduledFire, OverlapPolicy, CatchUpPolicy } from './scheduler/decorator.ts';
export { startSchedulerRole } from './scheduler/role.ts';
export { defineMessage, MessageBusController, MessageHandler, MessageValidationError, planHandlers, retryDelay, DEFAULT_RETRY, TRANSPORT_CAPABILITY } from './messages.ts';
export type {
  MessageDefinition, MessageKind, PayloadOf, MessageHandlerOptions, MessageBusControllerOptions, MessageHandlerSpec, MessageContext, MessageHandlerPlan, RetryPolicy,
  MessageTransport, OutgoingMessage, Delivery, Settlement, QueueSpec, ConsumerHandle, DeadLetter, DeadLetterAdmin,
} from './messages.ts';
export { startWorkerRole } from './worker.ts';
export type { WorkerRoleOptions } from './worker.ts';
export { main } from './cli.ts';
export type { CliIO } from './cli.ts';
export { schemaIssues, formatPath, createAjv } from './schema.ts';
export type { JsonSchema, PathSegment, SchemaIssue } from './schema.ts';
export type { ExecutionScope } from './scope.ts';
