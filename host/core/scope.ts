// The per-execution container. awilix's createScope() builds a new container with ~20 closures,
// a Proxy and a getter-bearing object each time: 4–8 µs and garbage that survives young-gen GC,
// more than the rest of an execution. This scope keeps awilix's resolvers, registrations and
// semantics (scoped instances cached per execution, singletons from the root, transients fresh,
// disposers at the end) with one small object and a lazily made cradle.
import { AwilixResolutionError, Lifetime, type AwilixContainer, type Resolver } from 'awilix/browser';
import { ArgumentError } from './errors.ts';

type Registrations = Record<string | symbol, Resolver<unknown>>;
type CacheEntry = { resolver: Resolver<unknown>; value: unknown };

/** What an execution's scope offers: a subset of awilix's container API. */
export interface ExecutionScope {
  readonly cradle: Record<string | symbol, unknown>;
  readonly options: AwilixContainer['options'];
  resolve<T = unknown>(name: string | symbol, options?: { allowUnregistered?: boolean }): T;
  register(name: string | symbol, resolver: Resolver<unknown>): this;
  register(registrations: Registrations): this;
  hasRegistration(name: string | symbol): boolean;
  getRegistration(name: string | symbol): Resolver<unknown> | null;
  dispose(): Promise<void> | undefined;
}

// One handler for every scope's cradle (the scope is the proxy's target): no closures per execution.
const cradleHandler: ProxyHandler<Record<string | symbol, unknown>> = {
  get: (target, name) => (target as unknown as LightScope).resolve(name),
  set: (_target, name) => {
    throw new ArgumentError('JRR_CRADLE_READONLY', `Attempted setting property "${String(name)}" on container cradle - this is not allowed.`);
  },
};

export class LightScope implements ExecutionScope {
  readonly #root: AwilixContainer;
  #own: Registrations | undefined;
  #cache: Map<string | symbol, CacheEntry> | undefined;
  #cradle: Record<string | symbol, unknown> | undefined;
  // The resolution path, for cycle detection and error messages; made by the first resolve.
  #resolving: Array<{ name: string | symbol; lifetime: string }> | undefined;

  constructor(root: AwilixContainer) {
    this.#root = root;
  }

  get options(): AwilixContainer['options'] {
    return this.#root.options;
  }

  /** The injection proxy handed to constructors and factories: `constructor({ tasks })`. */
  get cradle(): Record<string | symbol, unknown> {
    return (this.#cradle ??= new Proxy(this as unknown as Record<string | symbol, unknown>, cradleHandler));
  }

  register(nameOrMany: string | symbol | Registrations, resolver?: Resolver<unknown>): this {
    this.#own ??= Object.create(null) as Registrations;
    if (typeof nameOrMany === 'object') Object.assign(this.#own, nameOrMany);
    else this.#own[nameOrMany] = resolver as Resolver<unknown>;
    // A re-registration replaces what this execution had built from the old one.
    if (typeof nameOrMany === 'object') for (const k of Object.keys(nameOrMany)) this.#cache?.delete(k);
    else this.#cache?.delete(nameOrMany);
    return this;
  }

  getRegistration(name: string | symbol): Resolver<unknown> | null {
    return this.#own?.[name] ?? this.#root.getRegistration(name);
  }

  hasRegistration(name: string | symbol): boolean {
    return this.getRegistration(name) !== null;
  }

  resolve<T = unknown>(name: string | symbol, options?: { allowUnregistered?: boolean }): T {
    const own = this.#own?.[name];
    const resolver = own ?? this.#root.getRegistration(name);
    if (!resolver) {
      if (options?.allowUnregistered) return undefined as T;
      // Same error and resolution path as awilix, so callers handle both alike.
      throw new AwilixResolutionError(name, (this.#resolving ?? []) as never);
    }
    const lifetime = resolver.lifetime ?? Lifetime.TRANSIENT;
    if (lifetime === Lifetime.SINGLETON && !own) return this.#root.resolve<T>(name);
    const cached = this.#cache?.get(name);
    if (cached && lifetime !== Lifetime.TRANSIENT) return cached.value as T;
    const resolving = (this.#resolving ??= []);
    for (const r of resolving) if (r.name === name) throw new AwilixResolutionError(name, resolving as never, 'Cyclic dependencies detected.');
    resolving.push({ name, lifetime });
    try {
      const value = resolver.resolve(this as unknown as AwilixContainer);
      if (lifetime !== Lifetime.TRANSIENT) (this.#cache ??= new Map()).set(name, { resolver, value });
      return value as T;
    } finally {
      resolving.pop();
    }
  }

  /** Runs the disposers of what this execution built; undefined when there is nothing to dispose. */
  dispose(): Promise<void> | undefined {
    const cache = this.#cache;
    if (!cache) return undefined;
    this.#cache = undefined;
    const pending: unknown[] = [];
    for (const { resolver, value } of cache.values()) {
      const dispose = (resolver as { dispose?: (v: unknown) => unknown }).dispose;
      const done = dispose?.(value);
      if (done !== undefined) pending.push(done);
    }
    return pending.length ? Promise.all(pending).then(() => undefined) : undefined;
  }
}
