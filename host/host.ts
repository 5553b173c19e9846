// The host's lifecycle: load a declaration with everything it names (reporting every mistake at
// once), then set up plugins, register providers and controllers, start plugins and roles, and
// stop them in reverse order. Three ways to start: `start` (a process), `validate` (what a start
// would find, nothing connects) and `startPlugins` (a tool: only some plugins start). Roles run
// handlers only through `execute`, the one execution pipeline.
import { asValue, createContainer, InjectionMode, type AwilixContainer } from 'awilix/browser';
import type { Logger } from 'pino';
import { buildSingletons, registerControllers, registerProviders, scopedPlaceholder } from './core/container.ts';
import { loadDeclaration, type Declaration, type Env } from './core/declaration.ts';
import type { ServiceDeclaration } from './core/declaration.types.ts';
import { JararacaError } from './core/errors.ts';
import { composeInterceptors, runExecution, type Execution, type ExecutionInit, type ExecutionKind, type Next } from './core/execution.ts';
import { unservedProblem } from './core/handler-kinds.ts';
import { setDeclaredPlugins } from './core/hooks.ts';
import { checkPlugins, loadModules, type LoadedController, type LoadedPlugin, type LoadedProvider } from './core/loaders.ts';
import { createLogger } from './core/logger.ts';
import type { HandlerRegistry, HealthReport, PluginContext, PluginInstance, Role } from './core/plugin.ts';
import type { RoleHandle } from './core/role.ts';
import { createRegistry } from './core/registry.ts';

export interface HostOptions {
  /** Path of service.yaml, or a declaration already parsed (the test kit's declaration objects). */
  config: string | Declaration;
  /** The roles this process runs (plugins read them in setup()). */
  roles: Iterable<Role>;
  env?: Env;
  logger?: Logger;
}

export type { RoleHandle, RoleOptions } from './core/role.ts';

export type RoleStarter = (host: Host) => Promise<RoleHandle>;

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

  private constructor(declaration: Declaration, roles: Set<Role>, logger: Logger, modules: Awaited<ReturnType<typeof loadModules>>) {
    this.declaration = declaration;
    this.service = declaration.service;
    this.roles = roles;
    this.logger = logger;
    this.plugins = modules.plugins;
    this.controllers = modules.controllers;
    this.providers = modules.providers;
    this.handlers = createRegistry(modules.controllers);
  }

  /** Reads the declaration and loads every module it names. Throws DeclarationError listing every mistake. */
  static async load(options: HostOptions): Promise<Host> {
    const declaration = typeof options.config === 'string' ? await loadDeclaration(options.config, options.env) : options.config;
    const roles = new Set(options.roles);
    const modules = await loadModules(declaration, roles);
    await checkPlugins(declaration, modules.plugins);
    declaration.throwIfProblems();
    // Built only now: an invalid logging.level is a declaration problem above, not a pino crash.
    const service = declaration.service;
    const logger = (options.logger ?? createLogger({ level: service.logging?.level ?? process.env.LOG_LEVEL ?? 'info', redact: service.logging?.redact, pretty: service.logging?.pretty })).child({ service: service.name });
    return new Host(declaration, roles, logger, modules);
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
    for (const { plugin, instance } of this.#instances) if (instance.health) ready = (checks[plugin.use] = instance.health()).ready && ready;
    return { ready, detail: this.#ready ? undefined : this.#stopping ? 'stopping' : 'starting', checks };
  }

  /** Runs `fn` as one execution through the interceptor onion. */
  execute<T, K extends ExecutionKind>(init: ExecutionInit<K>, fn: (execution: Execution<K>) => Promise<T> | T): Promise<T> {
    return runExecution(this.container, this.#onion, init, fn);
  }

  /** The first declared plugin's value for a capability it `provides`. */
  capability<T>(name: string): T | undefined {
    return this.capabilities<T>(name)[0];
  }

  /** Every declared plugin's value for a capability, in declared order. */
  capabilities<T>(name: string): T[] {
    return this.#instances.flatMap(({ instance }) => (instance.provides && name in instance.provides ? [instance.provides[name] as T] : []));
  }

  /** Plugins' contributions to the HTTP server, in declared order. */
  httpExtensions(): Array<{ plugin: string; http: NonNullable<PluginInstance['http']> }> {
    return this.#instances.flatMap(({ plugin, instance }) => (instance.http ? [{ plugin: plugin.use, http: instance.http.bind(instance) }] : []));
  }

  /** The plugins' instances, in declared order (contracts/ composes documents from their parts). */
  get pluginInstances(): readonly PluginInstance[] { return this.#instances.map((i) => i.instance); }

  describePlugins(): string[] {
    return this.#instances.flatMap(({ instance }) => instance.describe?.() ?? []);
  }

  /**
   * Sets up plugins, providers and controllers, starts plugins, then the roles. On any failure
   * what was already started is stopped again, in reverse order.
   */
  async start(roleStarters: Partial<Record<Role, RoleStarter>> = {}): Promise<void> {
    await this.#guard(async () => {
      await this.#setup();
      await this.#prepare(true);
      for (const { instance } of this.#instances) await this.#startPlugin(instance);
      for (const role of this.roles) {
        const starter = roleStarters[role];
        if (starter) this.#roleHandles.push(await starter(this));
      }
      this.#ready = true;
    });
  }

  /**
   * For `validate`: plugins are set up (not started), providers registered (singletons not
   * built), controllers built once to check their dependencies, every handler kind checked
   * against what serves it. Nothing connects, nothing listens. Call stop() afterwards.
   */
  async validate(): Promise<void> {
    await this.#guard(async () => {
      await this.#setup();
      await this.#prepare(false);
    });
  }

  /**
   * For tools (plugin commands such as `dlq`): every plugin is set up, only those `which`
   * accepts are started, and no provider, controller or role is built. A knex-session with
   * migrations.auto, say, does not migrate because someone listed dead letters.
   */
  async startPlugins(which: (plugin: LoadedPlugin) => boolean): Promise<void> {
    await this.#guard(async () => {
      await this.#setup();
      for (const { plugin, instance } of this.#instances) if (which(plugin)) await this.#startPlugin(instance);
    });
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

  /** Runs a start; on failure stops what started and rethrows. */
  async #guard(fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      await this.stop().catch((stopErr: unknown) => this.logger.error({ err: stopErr }, 'error while stopping after a failed start'));
      throw err;
    }
  }

  /** The container, and every plugin's setup() in declared order; the onion from their interceptors. */
  async #setup(): Promise<void> {
    const container = createContainer({ injectionMode: InjectionMode.PROXY, strict: true });
    this.#container = container;
    container.register({ logger: asValue(this.logger), serviceName: asValue(this.service.name) });
    setDeclaredPlugins(this.plugins.map((p) => p.definition.name));
    for (const plugin of this.plugins) {
      const instance = (await plugin.definition.setup(this.#pluginContext(plugin, container))) ?? {};
      this.#instances.push({ plugin, instance });
      if (instance.register) container.register(instance.register);
      for (const token of instance.scoped ?? []) container.register(token, scopedPlaceholder(token, plugin.use));
    }
    this.#onion = composeInterceptors(this.#instances.flatMap(({ instance }) => (instance.intercept ? [instance.intercept.bind(instance)] : [])));
  }

  /** Providers and controllers registered (singletons built when `build`), handler kinds checked. */
  async #prepare(build: boolean): Promise<void> {
    const container = this.container;
    registerProviders(container, this.providers);
    if (build) await buildSingletons(container, this.providers, this.#disposers);
    registerControllers(container, this.controllers, this.logger);
    this.#checkHandlerKinds();
  }

  async #startPlugin(instance: PluginInstance): Promise<void> {
    await instance.start?.();
    this.#started.push(instance);
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
      capabilities: (name) => this.capabilities(name),
    };
  }

  /** Every kind of handler the controllers declare has something that runs it. */
  #checkHandlerKinds(): void {
    const ctx = { serves: new Set(this.#instances.flatMap(({ instance }) => instance.serves ?? [])), capability: (name: string) => this.capability(name) };
    const byKind = new Map<string, string[]>();
    for (const h of this.handlers.all()) byKind.set(h.kind, [...(byKind.get(h.kind) ?? []), h.name]);
    for (const [kind, names] of byKind) {
      const problem = unservedProblem(kind, names, ctx);
      if (problem) this.declaration.report(['interceptors'], problem);
    }
    this.declaration.throwIfProblems();
  }
}
