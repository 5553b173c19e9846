// Middleware and guards on one controller or one handler: @UseMiddleware / @UseGuard record
// them in the class's metadata; the registry composes each handler's chain once at start, and
// runs it inside the declared interceptors around the method call, in every role.
import { layerDecorator, type LayerEntry } from './decorators.ts';
import type { ErrorCode } from './error-codes.ts';
import { ArgumentError, HttpError } from './errors.ts';
import { composeInterceptors, type Execution, type Next } from './execution.ts';

/** A middleware function: the same powers as a plugin's `intercept` (metadata, scope, short-circuit, outcome). */
export type MiddlewareFn = (execution: Execution, next: Next) => Promise<unknown>;

/** A middleware class: built per execution from its scope (constructor injection, like controllers). */
export type MiddlewareClass = new (cradle: never) => { intercept(execution: Execution, next: Next): Promise<unknown> };

export type Middleware = MiddlewareFn | MiddlewareClass;

/** A guard function: true lets the execution through; false refuses it (403, dead letter, skipped run, error frame). */
export type GuardFn = (execution: Execution) => boolean | Promise<boolean>;

/** A guard class: built per execution from its scope, like a middleware class. */
export type GuardClass = new (cradle: never) => { canActivate(execution: Execution): boolean | Promise<boolean> };

export type Guard = GuardFn | GuardClass;

/** One layer as declared: what it is, and the function or class. */
export type MiddlewareEntry = { readonly type: 'middleware'; readonly target: Middleware } | { readonly type: 'guard'; readonly target: Guard };

/**
 * A guard answered false. For HTTP it is a 403 with the framework's error body (it is an
 * HttpError); a message is dead-lettered at once with this message as the reason; a scheduled
 * run is recorded as skipped; a WebSocket message gets an error frame, a connection is closed.
 */
export class GuardRejected extends HttpError {
  override readonly code: ErrorCode = 'JRR_GUARD_REJECTED';
  /** The guard's name (a function's or class's name). */
  readonly guard: string;
  constructor(guard: string, handler: string) {
    super(403, `${handler} was refused by the guard ${guard}`);
    this.guard = guard;
  }
}

type Instance = Record<string, (...args: unknown[]) => unknown>;

const isClassWith = (target: unknown, method: string): boolean =>
  typeof target === 'function' && typeof (target as { prototype?: Record<string, unknown> }).prototype?.[method] === 'function';

/** The class a layer resolves from the execution's scope, or undefined for a function. */
export function classOf(entry: MiddlewareEntry): (abstract new (...args: never[]) => unknown) | undefined {
  return isClassWith(entry.target, entry.type === 'guard' ? 'canActivate' : 'intercept') ? (entry.target as abstract new (...args: never[]) => unknown) : undefined;
}

// Each middleware class gets one container token, the same for the registry and the container.
const tokens = new WeakMap<object, string>();
const taken = new Set<string>();

/** The scoped container token a middleware or guard class is registered under. */
export function middlewareToken(cls: object): string {
  let token = tokens.get(cls);
  if (!token) {
    const base = `middleware:${(cls as { name?: string }).name || 'anonymous'}`;
    token = base;
    for (let i = 2; taken.has(token); i++) token = `${base}#${i}`;
    taken.add(token);
    tokens.set(cls, token);
  }
  return token;
}

/** How `validate` shows a layer: `guard requireApiKey`, `AuditMiddleware`. */
export function describeEntry(entry: MiddlewareEntry): string {
  const name = (entry.target as { name?: string }).name || 'anonymous';
  return entry.type === 'guard' ? `guard ${name}` : name;
}

function layerOf(entry: MiddlewareEntry, handler: string): MiddlewareFn {
  const cls = classOf(entry);
  const name = (entry.target as { name?: string }).name || 'anonymous';
  if (entry.type === 'guard') {
    const check: GuardFn = cls
      ? (execution) => execution.scope.resolve<Instance>(middlewareToken(cls)).canActivate(execution) as boolean | Promise<boolean>
      : (entry.target as GuardFn);
    return async (execution, next) => {
      if ((await check(execution)) === true) return next();
      throw new GuardRejected(name, handler);
    };
  }
  if (cls) {
    const token = middlewareToken(cls);
    return (execution, next) => execution.scope.resolve<Instance>(token).intercept(execution, next) as Promise<unknown>;
  }
  return entry.target as MiddlewareFn;
}

/**
 * The chain of one handler, composed once: `entries[0]` is the outermost layer. Undefined when
 * there is none, so a handler without middleware pays nothing.
 */
export function composeMiddleware(entries: readonly MiddlewareEntry[], handler: string): ((execution: Execution, call: Next) => Promise<unknown>) | undefined {
  if (!entries.length) return undefined;
  return composeInterceptors(entries.map((e) => layerOf(e, handler)));
}

/** Checks what @UseMiddleware / @UseGuard were given, at class definition time. */
export function checkEntries(type: MiddlewareEntry['type'], targets: readonly unknown[]): MiddlewareEntry[] {
  const decorator = type === 'guard' ? 'UseGuard' : 'UseMiddleware';
  if (!targets.length) throw new ArgumentError('JRR_MIDDLEWARE_INVALID', `@${decorator}() needs at least one ${type}`);
  return targets.map((target, i) => {
    if (typeof target !== 'function') {
      throw new ArgumentError(
        'JRR_MIDDLEWARE_INVALID',
        `@${decorator}(): argument ${i + 1} is ${target === null ? 'null' : typeof target}, not a function or a class` +
          (type === 'guard' ? ' (a guard is (execution) => boolean, or a class with canActivate(execution))' : ' (a middleware is (execution, next) => ..., or a class with intercept(execution, next))'),
      );
    }
    const method = type === 'guard' ? 'canActivate' : 'intercept';
    // A class called as a function would throw "cannot be invoked without 'new'" per execution.
    if (/^class[\s{]/.test(Function.prototype.toString.call(target)) && !isClassWith(target, method)) {
      throw new ArgumentError('JRR_MIDDLEWARE_INVALID', `@${decorator}(): the class ${(target as { name?: string }).name || 'anonymous'} has no ${method}() method`);
    }
    return { type, target } as MiddlewareEntry;
  });
}

/**
 * Runs middleware around every handler of a controller (on the class) or around one handler (on
 * a method), inside the declared interceptors; class-level before method-level, in the order
 * written. A function `(execution, next) => ...` or a class with `intercept(execution, next)`
 * built from the execution's scope.
 */
export function UseMiddleware(...middleware: Middleware[]) {
  return layerDecorator('UseMiddleware', checkEntries('middleware', middleware) as unknown as LayerEntry[]);
}

/**
 * Lets an execution through only when the guard answers true: `(execution) => boolean` or a class
 * with `canActivate(execution)`. False is a GuardRejected (403 for HTTP); a guard may also throw
 * (an HttpError(401), say). Guards and middleware form one chain, in the order written.
 */
export function UseGuard(...guards: Guard[]) {
  return layerDecorator('UseGuard', checkEntries('guard', guards) as unknown as LayerEntry[]);
}
