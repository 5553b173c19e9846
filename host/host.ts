// The host: loads a declaration with everything it names (plugins, providers, controllers),
// reporting every mistake at once; then starts plugins, container and roles, and stops them in
// reverse order. Roles run handlers only through `execute`, the one execution pipeline.
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { asClass, asFunction, asValue, AwilixResolutionError, createContainer, InjectionMode, Lifetime, type AwilixContainer, type Resolver } from 'awilix';
import type { Logger } from 'pino';
import { controllerMetadata, decoratedControllerClasses, type ControllerMetadata, type MetadataKey } from './core/decorators.ts';
import { loadDeclaration, type Declaration, type Env } from './core/declaration.ts';
import type { ServiceDeclaration } from './core/declaration.types.ts';
import { JararacaError, ModuleLoadError, ResolutionError } from './core/errors.ts';
import { TRANSPORT_CAPABILITY } from './roles/worker/messages.ts';
import { composeInterceptors, runExecution, type Execution, type ExecutionInit, type HandlerInfo, type Next } from './core/execution.ts';
import { setDeclaredPlugins } from './core/hooks.ts';
import { createLogger } from './core/logger.ts';
import { importExport, importModule } from './core/modules.ts';
import { isPluginDefinition, type HandlerRegistry, type HealthReport, type PluginContext, type PluginDefinition, type PluginInstance, type Role } from './core/plugin.ts';
import { compileSchema, formatPath, schemaIssues, type PathSegment } from './core/schema.ts';

export interface HostOptions {
  /** Path of service.yaml. */
  config: string;
  roles: Iterable<Role>;
  env?: Env;
  logger?: Logger;
}

interface LoadedPlugin {
  use: string;
  /** Its options had problems already reported (an unresolved ${VAR}): not checked further. */
  unresolved?: boolean;
  definition: PluginDefinition<unknown>;
  options: unknown;
  at: PathSegment[];
}

interface LoadedController {
  token: string;
  cls: abstract new (...args: never[]) => unknown;
  meta: ControllerMetadata;
}

type ProviderSpec = NonNullable<ServiceDeclaration['providers']>[string] & object;

interface LoadedProvider {
  token: string;
  spec: ProviderSpec;
  target: unknown;
}

/** A role a process runs: started after plugins, stopped before them. */
export interface RoleHandle {
  readonly role: Role;
  /** Lines for the start-up log and `validate`. */
  readonly address?: string;
  stop(): Promise<void>;
}

export type RoleStarter = (host: Host) => Promise<RoleHandle>;

export interface StartOptions {
  /**
   * For `validate`: plugins are set up (not started), providers registered (singletons not
   * built in advance), controllers built once to check their dependencies, handler kinds
   * checked against the plugins that serve them. Nothing connects, nothing listens.
   */
  dryRun?: boolean;
  /**
   * For tools (the dlq command): every plugin is set up, but only those this accepts are
   * started, and no provider or controller is built. A knex-session with migrations.auto, say,
   * does not migrate because someone listed dead letters.
   */
  only?: (instance: PluginInstance) => boolean;
}

const pluginsDir = fileURLToPath(new URL('../plugins/', import.meta.url));
const LIFETIMES = { singleton: Lifetime.SINGLETON, scoped: Lifetime.SCOPED, transient: Lifetime.TRANSIENT } as const;
const ownExtension = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
const builtinPlugins = new Set(readdirSync(pluginsDir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name));

export class Host {
  readonly declaration: Declaration;
  readonly service: ServiceDeclaration;
  readonly roles: ReadonlySet<Role>;
  readonly logger: Logger;
  readonly plugins: readonly LoadedPlugin[];
  readonly controllers: readonly LoadedController[];
  readonly providers: readonly LoadedProvider[];
  readonly handlers: HandlerRegistry;
  #container: AwilixContainer | undefined;
  #instances: Array<{ plugin: LoadedPlugin; instance: PluginInstance }> = [];
  #started: PluginInstance[] = [];
  #roleHandles: RoleHandle[] = [];
  #disposers: Array<() => Promise<void>> = [];
  #onion: (execution: Execution, handler: Next) => Promise<unknown> = (_e, h) => h();
  #ready = false;
  #stopping: Promise<void> | undefined;

  private constructor(declaration: Declaration, roles: Set<Role>, logger: Logger, plugins: LoadedPlugin[], controllers: LoadedController[], providers: LoadedProvider[]) {
    this.declaration = declaration;
    this.service = declaration.service;
    this.roles = roles;
    this.logger = logger;
    this.plugins = plugins;
    this.controllers = controllers;
    this.providers = providers;
    this.handlers = createRegistry(controllers);
  }

  /** Reads the declaration and loads every module it names. Throws DeclarationError listing every mistake. */
  static async load(options: HostOptions): Promise<Host> {
    const declaration = await loadDeclaration(options.config, options.env);
    const service = declaration.service;
    const [plugins, providers, controllers] = await Promise.all([
      loadPlugins(declaration),
      loadProviders(declaration),
      loadControllers(declaration),
    ]);
    for (const p of plugins) {
      if (!p.definition.check || p.unresolved) continue;
      try {
        await p.definition.check({
          options: p.options,
          service,
          at: p.at,
          report: (path, message, atKey) => declaration.report(path, message, atKey),
          resolvePath: (s) => declaration.resolveFrom(s),
        });
      } catch (err) {
        declaration.report(p.at, `plugin '${p.use}' failed its checks: ${(err as Error).message}`);
      }
    }
    declaration.throwIfProblems();
    // Built only now: an invalid logging.level is a declaration problem above, not a pino crash.
    const logger = (options.logger ?? createLogger({ level: service.logging?.level ?? process.env.LOG_LEVEL ?? 'info' })).child({ service: service.name });
    return new Host(declaration, new Set(options.roles), logger, plugins, controllers, providers);
  }

  get container(): AwilixContainer {
    if (!this.#container) throw new JararacaError('JRR_NOT_STARTED', 'the host has not started yet');
    return this.#container;
  }

  get ready(): boolean {
    return this.#ready;
  }

  /** Readiness of the host and each plugin, for /health/ready. */
  health(): HealthReport & { checks: Record<string, HealthReport> } {
    const checks: Record<string, HealthReport> = {};
    let ready = this.#ready;
    for (const { plugin, instance } of this.#instances) {
      if (!instance.health) continue;
      const h = instance.health();
      checks[plugin.use] = h;
      ready &&= h.ready;
    }
    return { ready, detail: this.#ready ? undefined : this.#stopping ? 'stopping' : 'starting', checks };
  }

  /** Runs `fn` as one execution through the interceptor onion. */
  execute<T>(init: ExecutionInit, fn: (execution: Execution) => Promise<T> | T): Promise<T> {
    return runExecution(this.container, this.#onion, init, fn);
  }

  capability<T>(name: string): T | undefined {
    for (const { instance } of this.#instances) {
      if (instance.provides && name in instance.provides) return instance.provides[name] as T;
    }
    return undefined;
  }

  /** Every declared plugin's value for a capability, in declared order (several may offer a scheduler lock). */
  capabilities<T>(name: string): T[] {
    return this.#instances.flatMap(({ instance }) => (instance.provides && name in instance.provides ? [instance.provides[name] as T] : []));
  }

  /** Plugins' contributions to the HTTP server, in declared order. */
  httpExtensions(): Array<NonNullable<PluginInstance['http']>> {
    return this.#instances.flatMap(({ instance }) => (instance.http ? [instance.http.bind(instance)] : []));
  }

  describePlugins(): string[] {
    return this.#instances.flatMap(({ instance }) => instance.describe?.() ?? []);
  }

  /**
   * Sets up plugins, providers and controllers, starts plugins, then the roles. On any failure
   * what was already started is stopped again, in reverse order.
   */
  async start(roleStarters: Partial<Record<Role, RoleStarter>>, options: StartOptions = {}): Promise<void> {
    const container = createContainer({ injectionMode: InjectionMode.PROXY, strict: true });
    this.#container = container;
    container.register({ logger: asValue(this.logger), serviceName: asValue(this.service.name) });
    setDeclaredPlugins(this.plugins.map((p) => p.definition.name));
    try {
      for (const plugin of this.plugins) {
        const instance = await plugin.definition.setup(this.#pluginContext(plugin, container));
        this.#instances.push({ plugin, instance: instance ?? {} });
        if (instance?.register) container.register(instance.register);
        for (const token of instance?.scoped ?? []) container.register(token, placeholder(token, plugin.use));
      }
      this.#onion = composeInterceptors(
        this.#instances.flatMap(({ instance }) => (instance.intercept ? [instance.intercept.bind(instance)] : [])),
      );
      if (!options.only) {
        await this.#registerProviders(container, !options.dryRun);
        this.#registerControllers(container);
        this.#checkHandlerKinds();
      }
      if (options.dryRun) return;
      for (const { instance } of this.#instances) {
        if (options.only && !options.only(instance)) continue;
        await instance.start?.();
        this.#started.push(instance);
      }
      for (const role of this.roles) {
        const starter = roleStarters[role];
        if (!starter) continue;
        this.#roleHandles.push(await starter(this));
      }
      this.#ready = true;
    } catch (err) {
      await this.stop().catch((stopErr: unknown) => this.logger.error({ err: stopErr }, 'error while stopping after a failed start'));
      throw err;
    }
  }

  /** Stops roles (they finish in-flight work), then plugins in reverse start order, then singletons. Idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      this.#ready = false;
      const errors: unknown[] = [];
      const attempt = async (what: string, fn: () => Promise<void> | void) => {
        try {
          await fn();
        } catch (err) {
          errors.push(err);
          this.logger.error({ err }, `error while stopping ${what}`);
        }
      };
      for (const handle of [...this.#roleHandles].reverse()) await attempt(`the ${handle.role} role`, () => handle.stop());
      for (const instance of [...this.#started].reverse()) await attempt('a plugin', () => instance.stop?.());
      for (const dispose of [...this.#disposers].reverse()) await attempt('a provider', dispose);
      if (this.#container) await attempt('the container', () => this.#container?.dispose());
      if (errors.length) throw new JararacaError('JRR_STOP_FAILED', `${errors.length} error(s) while stopping; see the log`, { cause: errors[0] });
    })();
    return this.#stopping;
  }

  #pluginContext(plugin: LoadedPlugin, container: AwilixContainer): PluginContext<unknown> {
    return {
      name: plugin.use,
      options: plugin.options,
      service: this.service,
      roles: this.roles,
      logger: this.logger.child({ plugin: plugin.definition.name }),
      container,
      handlers: this.handlers,
      plugins: this.plugins.map((p) => p.definition.name),
      resolvePath: (s) => this.declaration.resolveFrom(s),
      execute: (init, fn) => this.execute(init, fn),
      capability: (name) => this.capability(name),
    };
  }

  /** Every kind of handler the controllers declare has something that runs it. */
  #checkHandlerKinds(): void {
    const served = new Set(['http', 'scheduled', ...this.#instances.flatMap(({ instance }) => instance.serves ?? [])]);
    const byKind = new Map<string, string[]>();
    for (const h of this.handlers.all()) byKind.set(h.kind, [...(byKind.get(h.kind) ?? []), h.name]);
    for (const [kind, names] of byKind) {
      if (kind === 'message') {
        if (!this.capability(TRANSPORT_CAPABILITY)) {
          this.declaration.report(['interceptors'], `message handlers (${names.join(', ')}) need a message transport, and no declared plugin provides one: add '- use: message-bus' with { url: "\${AMQP_URL:-memory://}" }`);
        }
      } else if (!served.has(kind)) {
        this.declaration.report(['interceptors'], `'${kind}' handlers (${names.join(', ')}) are run by a plugin that this service does not declare: add '- use: ${kind}'`);
      }
    }
    this.declaration.throwIfProblems();
  }

  async #registerProviders(container: AwilixContainer, buildSingletons = true): Promise<void> {
    for (const { token, spec, target } of this.providers) {
      const lifetime = LIFETIMES[spec.lifetime ?? 'singleton'];
      const disposeName = spec.dispose;
      const disposer = (instance: unknown) => callDisposer(instance, disposeName);
      let resolver: Resolver<unknown>;
      if ('value' in spec && spec.class === undefined && spec.factory === undefined) resolver = asValue(spec.value);
      // A transient is a new instance per injection: holding one in a longer-lived owner is its purpose, not a leak.
      else if (spec.class !== undefined) resolver = asClass(target as new (...a: never[]) => unknown, { lifetime, isLeakSafe: lifetime === Lifetime.TRANSIENT });
      else resolver = asFunction(target as (...a: never[]) => unknown, { lifetime, isLeakSafe: lifetime === Lifetime.TRANSIENT });
      if (lifetime === Lifetime.SCOPED) resolver = (resolver as ReturnType<typeof asClass>).disposer(disposer) as Resolver<unknown>;
      container.register(token, resolver);
    }
    // Singletons are built now, in declaration order, so a failing factory stops the start
    // rather than the first request, and an async factory is awaited once.
    if (!buildSingletons) return;
    for (const { token, spec } of this.providers) {
      if ((spec.lifetime ?? 'singleton') !== 'singleton' || ('value' in spec && spec.class === undefined && spec.factory === undefined)) continue;
      let instance: unknown;
      try {
        instance = container.resolve(token);
        if (instance instanceof Promise) {
          instance = await instance;
          container.register(token, asValue(instance));
        }
      } catch (err) {
        throw resolutionError(err, `provider '${token}'`, container) ?? new JararacaError('JRR_PROVIDER_FAILED', `provider '${token}' failed to build: ${(err as Error).message}`, { cause: err });
      }
      this.#disposers.push(() => callDisposer(instance, spec.dispose));
    }
  }

  #registerControllers(container: AwilixContainer): void {
    for (const c of this.controllers) container.register(c.token, asClass(c.cls as new (...a: never[]) => unknown, { lifetime: Lifetime.SCOPED }));
    // Build each controller once now: an unknown token is a start-up error naming the
    // controller, not a 500 on the first request.
    const scope = container.createScope();
    for (const c of this.controllers) {
      try {
        scope.resolve(c.token);
      } catch (err) {
        const resolution = resolutionError(err, c.cls.name, container);
        if (resolution) throw resolution;
        this.logger.debug({ err, controller: c.cls.name }, 'controller constructor threw during the start-up check; it will be built per execution');
      }
    }
    void scope.dispose();
  }
}

/** Stands in for a token a plugin registers per execution, until it does. */
function placeholder(token: string, plugin: string): Resolver<unknown> {
  return asFunction(
    () => {
      throw new JararacaError('JRR_SCOPED_TOKEN_MISSING', `'${token}' is registered per execution by the plugin '${plugin}', which did not register it in this execution`);
    },
    { lifetime: Lifetime.SCOPED },
  );
}

function callDisposer(instance: unknown, name: string | undefined): Promise<void> {
  if (instance === null || typeof instance !== 'object') return Promise.resolve();
  const obj = instance as Record<string | symbol, unknown>;
  const fn = name ? obj[name] : (obj[Symbol.asyncDispose] ?? obj.dispose);
  return typeof fn === 'function' ? Promise.resolve(fn.call(instance)).then(() => undefined) : Promise.resolve();
}

/** Turns awilix's "could not resolve" into an error naming who needed what, and what exists. */
function resolutionError(err: unknown, who: string, container: AwilixContainer): ResolutionError | undefined {
  if (!(err instanceof AwilixResolutionError)) return undefined;
  const missing = /Could not resolve '([^']+)'/.exec(err.message)?.[1] ?? '?';
  const path = (/Resolution path: (.*)$/m.exec(err.message)?.[1] ?? '').split(' -> ').filter(Boolean).map((t) => t.replace(/^controller:/, ''));
  const known = Object.keys(container.registrations).filter((t) => !t.startsWith('controller:')).sort();
  const detail = err.message.includes('Cyclic')
    ? `a cycle: ${path.join(' -> ')}`
    : err.message.includes('shorter lifetime')
      ? shorterLifetime(err.message, missing)
      : `'${missing}', which is not registered. Declare it under providers: in service.yaml, or add the plugin that registers it (registered: ${known.join(', ') || 'none'})`;
  return new ResolutionError(`${who} needs ${detail}. Resolution path: ${path.join(' -> ')}`, path, { cause: err });
}

function shorterLifetime(message: string, missing: string): string {
  const ancestor = (/ancestor: '([^']+)'/.exec(message)?.[1] ?? '?').replace(/^controller:/, '');
  return `'${missing}', which has a shorter lifetime than '${ancestor}': the longer-lived one would keep one execution's instance for all of them. Make '${ancestor}' scoped, or '${missing}' a singleton`;
}

function createRegistry(controllers: readonly LoadedController[]): HandlerRegistry {
  const all: HandlerInfo[] = [];
  const tokens = new Map<HandlerInfo, string>();
  for (const c of controllers) {
    for (const h of c.meta.handlers) {
      const metadata = new Map<MetadataKey, unknown>(c.meta.classMetadata);
      for (const [k, v] of c.meta.methodMetadata.get(h.method) ?? []) metadata.set(k, v);
      const info: HandlerInfo = {
        name: `${c.cls.name}.${String(h.method)}`,
        kind: h.kind,
        controller: c.cls,
        method: h.method,
        spec: { ...(c.meta.classes.get(h.kind) as object | undefined), ...(h.spec as object) },
        metadata,
      };
      all.push(info);
      tokens.set(info, c.token);
    }
  }
  const byKind = new Map<string, HandlerInfo[]>();
  for (const h of all) byKind.set(h.kind, [...(byKind.get(h.kind) ?? []), h]);
  const instance = (execution: Execution, handler: HandlerInfo) => execution.scope.resolve<Record<string | symbol, unknown>>(tokens.get(handler) ?? '');
  return {
    all: () => all,
    ofKind: (kind) => byKind.get(kind) ?? [],
    instance,
    invoke: async (execution, handler, ...args) => {
      const target = instance(execution, handler);
      return (target[handler.method] as (...a: unknown[]) => unknown).apply(target, args);
    },
  };
}

async function loadPlugins(decl: Declaration): Promise<LoadedPlugin[]> {
  // A non-list was already reported by the schema; there is nothing to load from it.
  const entries = Array.isArray(decl.service.interceptors) ? decl.service.interceptors : [];
  const loaded = await Promise.all(
    entries.map(async (entry, i): Promise<LoadedPlugin | undefined> => {
      if (!entry || typeof entry.use !== 'string') return undefined;
      const at: PathSegment[] = ['interceptors', i];
      const isPath = entry.use.startsWith('.') || entry.use.startsWith('/');
      const specifier = !isPath && builtinPlugins.has(entry.use) ? new URL(`../plugins/${entry.use}/index${ownExtension}`, import.meta.url).pathname : entry.use;
      let mod: Record<string, unknown>;
      try {
        mod = await importModule(specifier, decl.file);
      } catch (err) {
        const hint = isPath ? '' : ` (built-in plugins: ${[...builtinPlugins].sort().join(', ')}; a path must start with ./ or ../)`;
        decl.report([...at, 'use'], `${(err as Error).message}${err instanceof ModuleLoadError && (err as ModuleLoadError).code === 'JRR_MODULE_LOAD' && !isPath ? hint : ''}`);
        return undefined;
      }
      const definition = [mod.default, mod.plugin].find(isPluginDefinition);
      if (!definition) {
        decl.report([...at, 'use'], `'${entry.use}' does not export a plugin: its default export must be the result of definePlugin({ name, setup })`);
        return undefined;
      }
      const options = structuredClone(entry.with ?? {});
      // An option whose ${VAR} did not resolve is already reported; checking its raw text
      // against the plugin's schema would only report the same mistake again.
      const prefix = formatPath([...at, 'with']);
      const unresolved = decl.problems.some((p) => p.path === prefix || p.path.startsWith(`${prefix}.`) || p.path.startsWith(`${prefix}[`));
      if (unresolved) return { use: entry.use, definition, options, at, unresolved };
      if (definition.options !== undefined) {
        const validate = compileSchema(definition.options as Record<string, unknown> | boolean);
        if (!validate(options)) decl.reportIssues(schemaIssues(validate.errors, options, [...at, 'with']));
      }
      return { use: entry.use, definition, options, at };
    }),
  );
  return loaded.filter((p): p is LoadedPlugin => p !== undefined);
}

async function loadProviders(decl: Declaration): Promise<LoadedProvider[]> {
  const providers = decl.service.providers;
  const entries = providers && typeof providers === 'object' && !Array.isArray(providers) ? Object.entries(providers) : [];
  const loaded = await Promise.all(
    entries.map(async ([token, spec]): Promise<LoadedProvider | undefined> => {
      if (!spec || typeof spec !== 'object') return undefined;
      // Several of value/class/factory is one mistake, already reported: loading would add noise.
      if (['value', 'class', 'factory'].filter((k) => k in spec).length > 1) return undefined;
      const key = spec.class !== undefined ? 'class' : spec.factory !== undefined ? 'factory' : undefined;
      if (!key) return { token, spec, target: spec.value };
      const reference = spec[key];
      if (typeof reference !== 'string' || !reference.includes('#')) return undefined; // the schema already said so
      try {
        const target = await importExport(reference, decl.file);
        if (typeof target !== 'function') {
          decl.report(['providers', token, key], `'${reference}' is a ${typeof target}, not a ${key === 'class' ? 'class' : 'function'}`);
          return undefined;
        }
        return { token, spec, target };
      } catch (err) {
        decl.report(['providers', token, key], (err as Error).message);
        return undefined;
      }
    }),
  );
  return loaded.filter((p): p is LoadedProvider => p !== undefined);
}

async function loadControllers(decl: Declaration): Promise<LoadedController[]> {
  const entries = Array.isArray(decl.service.controllers) ? decl.service.controllers : [];
  const decoratedBefore = new Set(decoratedControllerClasses());
  const perModule = await Promise.all(
    entries.map(async (specifier, i): Promise<LoadedController[]> => {
      if (typeof specifier !== 'string') return [];
      let mod: Record<string, unknown>;
      try {
        mod = await importModule(specifier, decl.file);
      } catch (err) {
        decl.report(['controllers', i], (err as Error).message);
        return [];
      }
      const found: LoadedController[] = [];
      for (const value of new Set(Object.values(mod))) {
        const meta = controllerMetadata(value);
        if (meta && (meta.handlers.length || meta.classes.size)) {
          found.push({ token: '', cls: value as LoadedController['cls'], meta });
        }
      }
      if (!found.length) decl.report(['controllers', i], `'${specifier}' exports no controller: export a class decorated with @RestController, @MessageBusController, @WebSocketEndpoint or with @ScheduledAction methods`);
      for (const c of found) {
        if (c.meta.handlers.some((h) => h.kind === 'http') && !c.meta.classes.has('http')) {
          decl.report(['controllers', i], `${c.cls.name} has route decorators (@Get, @Post...) but no @RestController(prefix) on the class: add it (use @RestController('') for routes at the root)`);
        }
      }
      return found;
    }),
  );
  // A class decorated while these modules loaded that none of them exports serves nothing: say
  // so (a warning: a module may keep a decorated base class to itself on purpose).
  const exported = new Set<unknown>(perModule.flat().map((c) => c.cls));
  for (const cls of decoratedControllerClasses()) {
    if (decoratedBefore.has(cls) || exported.has(cls) || [...exported].some((e) => typeof e === 'function' && e.prototype instanceof cls)) continue;
    process.emitWarning(`${cls.name} is decorated as a controller, but no module under controllers: exports it, so it serves nothing: export it, or list its module under controllers:`, { code: 'JRR_CONTROLLER_NOT_EXPORTED' });
  }
  // Tokens are unique even when two modules export classes of the same name.
  const seen = new Map<string, number>();
  const seenClasses = new Set<unknown>();
  return perModule.flat().filter((c) => {
    if (seenClasses.has(c.cls)) return false;
    seenClasses.add(c.cls);
    const n = seen.get(c.cls.name) ?? 0;
    seen.set(c.cls.name, n + 1);
    c.token = `controller:${c.cls.name}${n ? `#${n}` : ''}`;
    return true;
  });
}
