// The public plugin API. Built-in plugins (plugins/*) use nothing else, so a third-party plugin
// named in service.yaml can do everything they do.
import type { AwilixContainer, Resolver } from 'awilix/browser';
import type { FastifyInstance } from 'fastify';
import type { FromSchema, JSONSchema } from 'json-schema-to-ts';
import type { Logger } from 'pino';
import type { AsyncApiBase, AsyncApiFragment } from './asyncapi-types.ts';
import type { ServiceDeclaration } from './declaration.types.ts';
import type { Execution, ExecutionInit, ExecutionKind, HandlerInfo, Next } from './execution.ts';
import type { PathSegment } from './schema.ts';
import { ArgumentError } from './errors.ts';

export type Role = 'http' | 'worker' | 'scheduler';

/** Every controller entry point of the service, by kind (http, message, scheduled, websocket...). */
export interface HandlerRegistry {
  all(): readonly HandlerInfo[];
  ofKind<K extends ExecutionKind>(kind: K): readonly HandlerInfo<K>[];
  /** Resolves the controller instance for a handler in an execution's scope. */
  instance(execution: Execution, handler: HandlerInfo): Record<string | symbol, unknown>;
  /** Calls the handler's method with `args` on its controller instance for this execution. */
  invoke(execution: Execution, handler: HandlerInfo, ...args: unknown[]): Promise<unknown>;
}

/** Given to `check`: runs at load time (also by `jararaca-host validate`), before anything starts. */
export interface PluginCheckContext<Options> {
  readonly options: Options;
  readonly service: ServiceDeclaration;
  /** Where the plugin is declared: ['interceptors', i]. */
  readonly at: readonly PathSegment[];
  /**
   * Records a mistake at a path of the declaration (absolute, e.g. ['config', 'port']); reported
   * with line and column. `atKey` points at the key itself (an unknown key) rather than its value.
   */
  report(path: readonly PathSegment[], message: string, atKey?: boolean): void;
  /** Resolves a path written in the declaration, relative to the declaration's file. */
  resolvePath(specifier: string): string;
}

/** Given to `preload`: the plugin's options and the declaration, nothing built yet. */
export interface PluginPreloadContext<Options> {
  readonly options: Options;
  readonly service: ServiceDeclaration;
  /** The roles this process is loaded to run; empty when the declaration is only read (validate, openapi, a plugin command). */
  readonly roles: ReadonlySet<Role>;
}

export interface PluginContext<Options> {
  /** As written after `use:`. */
  readonly name: string;
  readonly options: Options;
  readonly service: ServiceDeclaration;
  /** The roles this process runs. */
  readonly roles: ReadonlySet<Role>;
  readonly logger: Logger;
  /** The root container: register singletons here. */
  readonly container: AwilixContainer;
  readonly handlers: HandlerRegistry;
  resolvePath(specifier: string): string;
  /** Runs `fn` as one execution through the interceptor onion (what roles use for each request/message/fire). */
  execute<T, K extends ExecutionKind>(init: ExecutionInit<K>, fn: (execution: Execution<K>) => Promise<T> | T): Promise<T>;
  /** A capability another plugin `provides` (looked up when called, so call it from start() or later). */
  capability<T>(name: string): T | undefined;
  /** Every declared plugin's value for a capability, in declared order (several lock backends, say). */
  capabilities<T>(name: string): T[];
  /** Names of the plugins declared in this service, in order. */
  readonly plugins: readonly string[];
}

export interface HealthReport {
  ready: boolean;
  /** Shown by /health/ready when not ready, e.g. 'database unreachable at db:5432'. */
  detail?: string;
}

/** What a plugin contributes, returned by its setup(). Every member is optional. */
export interface PluginInstance {
  /** Wraps every execution. Call `next()` once to run the inner layers; what it resolves to or throws is the outcome. */
  intercept?(execution: Execution, next: Next): Promise<unknown>;
  /** Process start, in declared order, after every plugin's setup; before the roles accept work. */
  start?(): Promise<void> | void;
  /** Process stop, in reverse order, after the roles stopped taking work. Always called if start() was. */
  stop?(): Promise<void> | void;
  /** Readiness, polled by /health/ready. */
  health?(): HealthReport;
  /** Root container registrations (singletons the plugin owns). */
  register?: Record<string, Resolver<unknown>>;
  /**
   * Tokens that intercept() registers in each execution's scope (`execution.scope.register`).
   * Declaring them lets controllers and providers depend on them: the start-up check knows
   * them, and resolving one where the plugin did not register it is a clear error.
   */
  scoped?: string[];
  /** HTTP role: called with the root Fastify instance before routes are added (hooks, decorators, @fastify/* plugins). */
  http?(app: FastifyInstance): Promise<void> | void;
  /**
   * Handler kinds this plugin runs (the websocket plugin: ['websocket']). A controller handler
   * of a kind that no declared plugin serves is an error at start and in `validate`, naming the
   * plugin to add, instead of a handler that silently never runs.
   */
  serves?: string[];
  /** Named capabilities for roles and other plugins: a message transport, a scheduler lock... */
  provides?: Record<string, unknown>;
  /** Lines printed by `jararaca-host validate`. */
  describe?(): string[];
  /**
   * This plugin's part of the AsyncAPI document (`jararaca-host asyncapi`): channels, operations
   * and components, deep-merged into what the host wrote (`base` names its channels). Called
   * after setup(), without start(): read only what setup() knows.
   */
  asyncapi?(base: AsyncApiBase): AsyncApiFragment;
  /** The OpenAPI document: security schemes this plugin's authentication answers to (docs/contracts.md). */
  openapi?: OpenApiContribution;
}

/** What a plugin adds to the OpenAPI document. Routes name a scheme in `schema.security`. */
export interface OpenApiContribution {
  /** `components.securitySchemes`, by name: `{ apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' } }`. */
  securitySchemes?: Record<string, OpenApiSecurityScheme>;
  /** The document's default `security`: applies to every operation that declares none. */
  security?: OpenApiSecurityRequirement[];
}

/** A scheme name and the scopes it needs (`[]` for none): `{ apiKey: [] }`. */
export type OpenApiSecurityRequirement = Record<string, string[]>;

/** An OpenAPI 3.1 security scheme object. */
export type OpenApiSecurityScheme = { description?: string } & (
  | { type: 'apiKey'; name: string; in: 'header' | 'query' | 'cookie' }
  | { type: 'http'; scheme: string; bearerFormat?: string }
  | { type: 'oauth2'; flows: Record<string, unknown> }
  | { type: 'openIdConnect'; openIdConnectUrl: string }
  | { type: 'mutualTLS' }
);

/** What a plugin command gets: its own entries of the declaration, and a way to start its plugin alone. */
export interface PluginCommandContext<Options = unknown> {
  /** What follows the command name, `--config` included. */
  readonly argv: string[];
  readonly io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream };
  /** Every entry of this plugin in service.yaml, in declared order (knex-session: one per connection). */
  readonly entries: ReadonlyArray<{ readonly options: Options; readonly at: readonly PathSegment[] }>;
  readonly service: ServiceDeclaration;
  /** The declaration's file. */
  readonly file: string;
  /** Resolves a path written in the declaration, relative to its file. */
  resolvePath(specifier: string): string;
  readonly handlers: HandlerRegistry;
  /** Logs go to stderr: a command's stdout is its output. */
  readonly logger: Logger;
  /**
   * Sets up every declared plugin and starts only this one (no providers, controllers or roles);
   * `capability` reads what the plugins provide. Call `stop()` when done.
   */
  start(): Promise<{ capability<T>(name: string): T | undefined; stop(): Promise<void> }>;
}

/** A `jararaca-host NAME ...` sub-command contributed by a plugin (knex-session's `migrate`, message-bus's `dlq`). */
export interface PluginCommand<Options = unknown> {
  /** One line for `jararaca-host --help`. */
  summary: string;
  /** Runs the command for the loaded (not started) service. Returns the exit code (2 for a usage mistake). */
  run(ctx: PluginCommandContext<Options>): Promise<number>;
}

export interface PluginDefinition<Options = Record<string, unknown>> {
  readonly name: string;
  /** JSON Schema (draft 2020-12) of the plugin's options, validated by the host with line and column. */
  readonly options?: JSONSchema;
  /** Extra checks at load time (cross-field rules, files that must exist...). */
  check?(ctx: PluginCheckContext<Options>): void | Promise<void>;
  /**
   * Runs as soon as this plugin's module is imported, before the plugins declared after it and
   * every provider and controller module are imported (with its options, when they are valid).
   * For what must be in place before other modules load: the telemetry plugin registers the
   * OpenTelemetry instrumentations here, which patch pg and knex when they are first required.
   * Runs in `validate` too; keep it free of connections.
   */
  preload?(ctx: PluginPreloadContext<Options>): void | Promise<void>;
  /** Runs once per process. Open pools and connections lazily or in start(), not here, when they may fail. */
  setup(ctx: PluginContext<Options>): PluginInstance | Promise<PluginInstance>;
  /** Sub-commands of `jararaca-host`, available when a service declares this plugin. */
  readonly commands?: Readonly<Record<string, PluginCommand<NoInfer<Options>>>>;
}

export const PLUGIN = Symbol.for('jararaca.plugin');

/**
 * A plugin `provides: { [PENDING_WORK_CAPABILITY]: () => ... }` when it does work of its own
 * after an execution ends (the outbox relay sending committed rows): the function names what is
 * still to do, or returns undefined. The test kit's settle() waits while any says so.
 */
export const PENDING_WORK_CAPABILITY = 'jararaca.pending-work';
export type PendingWork = () => string | undefined;

/**
 * Declares a plugin. With an `options` schema written `as const`, the options' type follows from
 * it: `definePlugin({ name: 'x', options: { type: 'object', properties: { url: { type: 'string' } } } as const, setup(ctx) { ctx.options.url } })`.
 */
export function definePlugin<const S extends JSONSchema, Options = FromSchema<S>>(
  def: { name: string; options: S } & Omit<PluginDefinition<Options>, 'name' | 'options'>,
): PluginDefinition<Options>;
export function definePlugin<Options = Record<string, never>>(def: Omit<PluginDefinition<Options>, 'options'>): PluginDefinition<Options>;
export function definePlugin(def: PluginDefinition<unknown>): PluginDefinition<unknown> {
  if (!def || typeof def.name !== 'string' || typeof def.setup !== 'function') {
    throw new ArgumentError('JRR_PLUGIN_DEFINITION', 'definePlugin() needs { name: string, setup(ctx) { ... } }');
  }
  return Object.assign(def, { [PLUGIN]: true });
}

export function isPluginDefinition(value: unknown): value is PluginDefinition<unknown> {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[PLUGIN] === true;
}
