// TC39 standard decorators. Everything they record goes into the class's `context.metadata`
// under one symbol, as a list of handlers per kind (http, message, scheduled, websocket...),
// so one class can be a REST controller, a message bus controller and a scheduler at once.
import type { FastifyReply, FastifyRequest, FastifySchema } from 'fastify';
import { ArgumentError, JararacaError } from './errors.ts';
import { declareHandlerKind } from './handler-kinds.ts';
import type { RouteMethod } from './route-types.ts';

// Routes are run by the host's own http role.
declareHandlerKind('http', { isServed: () => true });

declare module './execution.ts' {
  interface ExecutionKinds {
    /** An HTTP request: Fastify's request and reply; the route as declared. */
    http: { details: { request: FastifyRequest; reply: FastifyReply }; spec: RouteSpec & RestControllerSpec };
  }
}

// Node 20 has no Symbol.metadata; TypeScript's and esbuild's decorator helpers fall back to
// Symbol.for('Symbol.metadata'), so this must be set before any decorated class is evaluated.
(Symbol as { metadata?: symbol }).metadata ??= Symbol.for('Symbol.metadata');

const META = Symbol.for('jararaca.controller');

export type MetadataKey = string | symbol;

/** One entry point of a controller: a route, a message handler, a scheduled action... */
export interface HandlerSpec<K extends string = string, S = unknown> {
  kind: K;
  method: string | symbol;
  spec: S;
}

export interface ControllerMetadata {
  /** Class-level declarations by kind: `http` → { prefix }, `message` → {...}. */
  readonly classes: Map<string, unknown>;
  readonly handlers: HandlerSpec[];
  readonly classMetadata: Map<MetadataKey, unknown>;
  readonly methodMetadata: Map<string | symbol, Map<MetadataKey, unknown>>;
  /** @UseMiddleware / @UseGuard on the class, in the order written (a parent class's first). */
  readonly classLayers: LayerEntry[];
  /** The same on each method. */
  readonly methodLayers: Map<string | symbol, LayerEntry[]>;
  /** @Singleton(): one instance for the process instead of one per execution. */
  singleton: boolean;
}

/** One @UseMiddleware or @UseGuard argument (core/middleware.ts types `target` precisely). */
export interface LayerEntry {
  readonly type: 'middleware' | 'guard';
  readonly target: (...args: never[]) => unknown;
}

type MetadataBag = Record<PropertyKey, unknown>;

function own(bag: MetadataBag): ControllerMetadata {
  if (Object.hasOwn(bag, META)) return bag[META] as ControllerMetadata;
  // A subclass starts from a copy of its parent's declarations.
  const parent = bag[META] as ControllerMetadata | undefined;
  const meta: ControllerMetadata = {
    classes: new Map(parent?.classes),
    handlers: [...(parent?.handlers ?? [])],
    classMetadata: new Map(parent?.classMetadata),
    methodMetadata: new Map([...(parent?.methodMetadata ?? [])].map(([k, v]) => [k, new Map(v)])),
    classLayers: [...(parent?.classLayers ?? [])],
    methodLayers: new Map([...(parent?.methodLayers ?? [])].map(([k, v]) => [k, [...v]])),
    singleton: parent?.singleton ?? false,
  };
  inheritedLayers.set(meta, meta.classLayers.length);
  bag[META] = meta;
  return meta;
}

// How many class layers came from the parent: the class's own go after them.
const inheritedLayers = new WeakMap<ControllerMetadata, number>();

/** The declarations a class carries, or undefined for a plain class. */
export function controllerMetadata(target: unknown): ControllerMetadata | undefined {
  if (typeof target !== 'function') return undefined;
  const bag = (target as unknown as Record<symbol, MetadataBag | undefined>)[(Symbol as { metadata?: symbol }).metadata as symbol];
  return bag ? (bag[META] as ControllerMetadata | undefined) : undefined;
}

type AnyClass = abstract new (...args: never[]) => unknown;
type AnyMethod = (this: never, ...args: never[]) => unknown;

/**
 * The context of a public instance method. TypeScript types a decorator's context with literal
 * `private` and `static`, so a handler decorator on a #private or static method is a compile
 * error (it is also refused at run time, for JavaScript callers).
 */
export type PublicMethodContext<This = unknown> = ClassMethodDecoratorContext<This> & { readonly private: false; readonly static: false };

// Legacy (experimentalDecorators) calls pass (target, key, descriptor) and no context object.
function assertStandard(context: unknown, name: string): void {
  if (context === null || typeof context !== 'object' || !('kind' in context)) {
    throw new JararacaError(
      'JRR_LEGACY_DECORATORS',
      `@${name} ran as a legacy TypeScript decorator: jararaca uses standard (TC39) decorators. Remove "experimentalDecorators" (and "emitDecoratorMetadata") from your tsconfig.json.`,
    );
  }
}

/** Building block for class decorators of any kind (public, so plugins can add kinds). */
export function classDecorator<S>(kind: string, spec: S) {
  return (value: AnyClass, context: ClassDecoratorContext): void => {
    assertStandard(context, kind);
    own(context.metadata as MetadataBag).classes.set(kind, spec);
    decoratedClasses.add(value);
  };
}

/**
 * One controller instance for the whole process, built at start, instead of one per execution
 * (the default). Its constructor may take only singletons: a scoped provider is a start-up error
 * naming both. Per-execution state then comes from hooks (`useSession()`...), never from fields.
 */
export function Singleton() {
  return (_value: AnyClass, context: ClassDecoratorContext): void => {
    assertStandard(context, 'Singleton');
    own(context.metadata as MetadataBag).singleton = true;
  };
}

// Every class a controller decorator ran on, so the host can tell a decorated class that its
// module forgot to export (and that would silently serve nothing).
const decoratedClasses = new Set<AnyClass>();

/** Classes decorated as controllers since the process started. */
export function decoratedControllerClasses(): ReadonlySet<AnyClass> {
  return decoratedClasses;
}

/** Building block for method decorators of any kind (public, so plugins can add kinds). */
export function handlerDecorator<S>(kind: string, spec: S) {
  return (_value: AnyMethod, context: PublicMethodContext<never>): void => {
    assertStandard(context, kind);
    if (context.static || context.private) throw new ArgumentError('JRR_DECORATOR_TARGET', `@${kind} handlers must be public instance methods (${String(context.name)})`);
    own(context.metadata as MetadataBag).handlers.push({ kind, method: context.name, spec });
  };
}

/** Attaches metadata readable by interceptors; on a method it wins over the class's value. */
export function SetMetadata(key: MetadataKey, value: unknown) {
  return (_value: AnyClass | AnyMethod, context: ClassDecoratorContext | ClassMethodDecoratorContext): void => {
    assertStandard(context, 'SetMetadata');
    const meta = own(context.metadata as MetadataBag);
    if (context.kind === 'class') {
      meta.classMetadata.set(key, value);
    } else {
      let m = meta.methodMetadata.get(context.name);
      if (!m) meta.methodMetadata.set(context.name, (m = new Map()));
      m.set(key, value);
    }
  };
}

/**
 * Building block of @UseMiddleware and @UseGuard (core/middleware.ts): adds layers to a class or
 * a method. Decorators apply bottom-up, so each call puts its layers before those of the
 * decorators written below it: the chain follows the order written.
 */
export function layerDecorator(name: string, entries: readonly LayerEntry[]) {
  return (_value: AnyClass | AnyMethod, context: ClassDecoratorContext | ClassMethodDecoratorContext): void => {
    assertStandard(context, name);
    const meta = own(context.metadata as MetadataBag);
    if (context.kind === 'class') {
      meta.classLayers.splice(inheritedLayers.get(meta) ?? 0, 0, ...entries);
    } else {
      if (context.static || context.private) throw new ArgumentError('JRR_DECORATOR_TARGET', `@${name} goes on a class or a public instance method (${String(context.name)})`);
      let list = meta.methodLayers.get(context.name);
      if (!list) meta.methodLayers.set(context.name, (list = []));
      list.unshift(...entries);
    }
  };
}

// ---- REST ----

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD' | 'OPTIONS';

export interface RouteOptions {
  /** JSON Schemas, compiled once by Fastify: invalid input is a 400 before the handler runs. */
  schema?: Pick<FastifySchema, 'params' | 'querystring' | 'body' | 'headers' | 'response'> & {
    summary?: string;
    description?: string;
    tags?: string[];
    /** The OpenAPI operationId (default: from the controller and method, `TasksController.create` → `tasksCreate`). */
    operationId?: string;
    deprecated?: boolean;
    /** Security schemes a plugin declares that the route answers to: `[{ apiKey: [] }]` (docs/contracts.md). */
    security?: Array<Record<string, string[]>>;
  };
  /** Status code of a successful answer (default 200). */
  status?: number;
  /** Per-route body limit in bytes, overriding http.bodyLimit. */
  bodyLimit?: number;
}

export interface RouteSpec extends RouteOptions {
  method: HttpMethod;
  path: string;
}

export interface RestControllerSpec {
  prefix: string;
}

export function RestController(prefix = '') {
  return classDecorator<RestControllerSpec>('http', { prefix });
}

type RouteSchema = NonNullable<RouteOptions['schema']>;

/** A route decorator: the method must accept the request its schema describes and return what its success responses describe. */
export type RouteDecorator<S> = <This>(value: RouteMethod<This, S>, context: PublicMethodContext<This>) => void;

function route(method: HttpMethod) {
  return <const S extends RouteSchema = RouteSchema>(path = '', options: RouteOptions & { schema?: S } = {}): RouteDecorator<S> =>
    (value, context) => handlerDecorator<RouteSpec>('http', { method, path, ...options })(value as AnyMethod, context as PublicMethodContext<never>);
}

export const Get = route('GET');
export const Post = route('POST');
export const Put = route('PUT');
export const Patch = route('PATCH');
export const Delete = route('DELETE');
