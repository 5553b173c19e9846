// The root container: the declared providers and the controllers registered with their
// lifetimes, singletons built at start (so a failing factory stops the start, not the first
// request), controllers built once to check their dependencies, and resolution failures turned
// into errors that name who needed what.
// awilix's build without loadModules/listModules, which the host never uses: the same container,
// without fast-glob and its ~45 dependencies (~70 ms of every start under tsx). The framework's
// files all import this one build, so its error classes are the ones instanceof checks.
import { asClass, asFunction, asValue, AwilixResolutionError, Lifetime, type AwilixContainer, type Resolver } from 'awilix/browser';
import type { Logger } from 'pino';
import { JararacaError, ResolutionError } from './errors.ts';
import type { LoadedController, LoadedProvider } from './loaders.ts';
import { classOf, middlewareToken, type MiddlewareEntry } from './middleware.ts';

const LIFETIMES = { singleton: Lifetime.SINGLETON, scoped: Lifetime.SCOPED, transient: Lifetime.TRANSIENT } as const;

const isPlainValue = (spec: LoadedProvider['spec']) => 'value' in spec && spec.class === undefined && spec.factory === undefined;

/** Registers every provider with its lifetime and disposer; nothing is built yet. */
export function registerProviders(container: AwilixContainer, providers: readonly LoadedProvider[]): void {
  for (const { token, spec, target } of providers) {
    const lifetime = LIFETIMES[spec.lifetime ?? 'singleton'];
    let resolver: Resolver<unknown>;
    if (isPlainValue(spec)) resolver = asValue(spec.value);
    // A transient is a new instance per injection: holding one in a longer-lived owner is its purpose, not a leak.
    else if (spec.class !== undefined) resolver = asClass(target as new (...a: never[]) => unknown, { lifetime, isLeakSafe: lifetime === Lifetime.TRANSIENT });
    else resolver = asFunction(target as (...a: never[]) => unknown, { lifetime, isLeakSafe: lifetime === Lifetime.TRANSIENT });
    if (lifetime === Lifetime.SCOPED) resolver = (resolver as ReturnType<typeof asClass>).disposer((instance) => callDisposer(instance, spec.dispose)) as Resolver<unknown>;
    container.register(token, resolver);
  }
}

/**
 * Builds the singletons in declaration order (an async factory is awaited once and its value
 * kept). Returns their disposers, to run in reverse order at stop.
 */
export async function buildSingletons(container: AwilixContainer, providers: readonly LoadedProvider[], disposers: Array<() => Promise<void>>): Promise<void> {
  for (const { token, spec } of providers) {
    if ((spec.lifetime ?? 'singleton') !== 'singleton' || isPlainValue(spec)) continue;
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
    disposers.push(() => callDisposer(instance, spec.dispose) ?? Promise.resolve());
  }
}

/**
 * Registers the controllers and the middleware and guard classes they use (one instance per
 * execution) and builds each once to check its dependencies.
 */
export function registerControllers(container: AwilixContainer, controllers: readonly LoadedController[], logger: Logger): void {
  const built: Array<{ token: string; name: string; what: string }> = [];
  for (const c of controllers) {
    container.register(c.token, asClass(c.cls as new (...a: never[]) => unknown, { lifetime: c.meta.singleton ? Lifetime.SINGLETON : Lifetime.SCOPED }));
    built.push({ token: c.token, name: c.cls.name, what: 'controller' });
  }
  const layers = controllers.flatMap((c) => [...c.meta.classLayers, ...[...c.meta.methodLayers.values()].flat()]) as unknown as MiddlewareEntry[];
  for (const entry of layers) {
    const cls = classOf(entry);
    const token = cls && middlewareToken(cls);
    if (!cls || !token || container.hasRegistration(token)) continue;
    container.register(token, asClass(cls as new (...a: never[]) => unknown, { lifetime: Lifetime.SCOPED }));
    built.push({ token, name: cls.name, what: entry.type });
  }
  // An unknown token is a start-up error naming the class, not a 500 on the first request.
  const scope = container.createScope();
  for (const b of built) {
    try {
      scope.resolve(b.token);
    } catch (err) {
      const resolution = resolutionError(err, b.what === 'controller' ? b.name : `the ${b.what} class ${b.name}`, container);
      if (resolution) throw resolution;
      logger.debug({ err, [b.what]: b.name }, `${b.what} constructor threw during the start-up check; it will be built per execution`);
    }
  }
  void scope.dispose();
}

/** Stands in for a token a plugin registers per execution, until it does. */
export function scopedPlaceholder(token: string, plugin: string): Resolver<unknown> {
  return asFunction(
    () => {
      throw new JararacaError('JRR_SCOPED_TOKEN_MISSING', `'${token}' is registered per execution by the plugin '${plugin}', which did not register it in this execution`);
    },
    { lifetime: Lifetime.SCOPED },
  );
}

// Undefined when there is nothing to dispose (the common case, per scoped provider per
// execution): the execution's scope then makes no promise for it.
function callDisposer(instance: unknown, name: string | undefined): Promise<void> | undefined {
  if (instance === null || typeof instance !== 'object') return undefined;
  const obj = instance as Record<string | symbol, unknown>;
  const fn = name ? obj[name] : (obj[Symbol.asyncDispose] ?? obj.dispose);
  return typeof fn === 'function' ? Promise.resolve(fn.call(instance)).then(() => undefined) : undefined;
}

/**
 * Turns awilix's "could not resolve" into an error naming who needed what, and what exists.
 * awilix's error objects carry only their message (the token and the resolution path are not
 * kept as fields), so its documented message format is read here, in this one place.
 */
function resolutionError(err: unknown, who: string, container: AwilixContainer): ResolutionError | undefined {
  if (!(err instanceof AwilixResolutionError)) return undefined;
  const missing = /Could not resolve '([^']+)'/.exec(err.message)?.[1] ?? '?';
  const path = (/Resolution path: (.*)$/m.exec(err.message)?.[1] ?? '').split(' -> ').filter(Boolean).map((t) => t.replace(/^(controller|middleware):/, ''));
  const known = Object.keys(container.registrations).filter((t) => !t.startsWith('controller:') && !t.startsWith('middleware:')).sort();
  let detail: string;
  if (err.message.includes('Cyclic')) detail = `a cycle: ${path.join(' -> ')}`;
  else if (err.message.includes('shorter lifetime')) {
    const ancestor = (/ancestor: '([^']+)'/.exec(err.message)?.[1] ?? '?').replace(/^(controller|middleware):/, '');
    detail = `'${missing}', which has a shorter lifetime than '${ancestor}': the longer-lived one would keep one execution's instance for all of them. Make '${ancestor}' scoped, or '${missing}' a singleton`;
  } else detail = `'${missing}', which is not registered. Declare it under providers: in service.yaml, or add the plugin that registers it (registered: ${known.join(', ') || 'none'})`;
  return new ResolutionError(`${who} needs ${detail}. Resolution path: ${path.join(' -> ')}`, path, { cause: err });
}
