// One execution = one HTTP request, WebSocket message, bus message or scheduled run. Every role
// runs its handlers through `runExecution`: a fresh awilix scope, an AsyncLocalStorage context
// holding it, then the interceptors in declared order as an onion around the handler.
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { AwilixContainer } from 'awilix/browser';
import { LightScope, type ExecutionScope } from './scope.ts';
import type { FastifyBaseLogger } from 'fastify';
import { JararacaError } from './errors.ts';
import type { MetadataKey } from './decorators.ts';

/**
 * Execution kinds and what their executions carry: `details` (what the role hands over: the
 * Fastify request and reply, the message, the slot...) and `spec` (what the handler's decorator
 * declared). The roles declare theirs here; a plugin adds its kind by augmentation:
 *
 *     declare module 'jararaca' { interface ExecutionKinds { websocket: { details: WsDetails; spec: WsSpec } } }
 */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface ExecutionKinds {}

/** A kind some module declared in ExecutionKinds. */
export type KnownKind = keyof ExecutionKinds & string;
export type ExecutionKind = KnownKind | (string & {});

type Entry<K, Field extends 'details' | 'spec', Otherwise> = K extends KnownKind ? (ExecutionKinds[K] extends Record<Field, infer T> ? T : Otherwise) : Otherwise;
/** What an execution of kind K carries (a kind nobody declared: a plain record). */
export type DetailsOf<K extends ExecutionKind> = Entry<K, 'details', Readonly<Record<string, unknown>>>;
/** What a handler of kind K declared (a kind nobody declared: unknown). */
export type SpecOf<K extends ExecutionKind> = Entry<K, 'spec', unknown>;

/** What the execution runs: a controller method and the metadata declared on it. */
export interface HandlerInfo<K extends ExecutionKind = ExecutionKind> {
  /** `TasksController.create` */
  readonly name: string;
  readonly kind: K;
  readonly controller: abstract new (...args: never[]) => unknown;
  readonly method: string | symbol;
  /** The decorator's own spec (a route, a message handler's options...), typed by kind. */
  readonly spec: SpecOf<K>;
  /** @SetMetadata values: the method's over the class's. */
  readonly metadata: ReadonlyMap<MetadataKey, unknown>;
  /** Its @UseMiddleware / @UseGuard chain, outermost first, as `validate` shows it: `guard requireApiKey`, `AuditMiddleware`. */
  readonly middleware: readonly string[];
}

export interface ExecutionInit<K extends ExecutionKind = ExecutionKind> {
  kind: K;
  handler: HandlerInfo<K>;
  logger: FastifyBaseLogger;
  id?: string;
  /** Kind-specific details (the Fastify request and reply, the message, the slot...). */
  details?: DetailsOf<K>;
  /** Aborts the execution's signal when this one aborts, with its reason (the scheduler passes its run's signal). */
  signal?: AbortSignal;
  /**
   * Its `execution` is set as soon as the execution exists (before any interceptor runs), so the
   * caller can `abort()` it later: cheaper than `signal` (no listener, and no AbortSignal is made
   * unless someone reads one or it is aborted).
   */
  handle?: { execution?: Execution<K> };
}

export type Next = () => Promise<unknown>;
export type Interceptor = (execution: Execution, next: Next) => Promise<unknown>;

export class Execution<K extends ExecutionKind = ExecutionKind> {
  readonly id: string;
  readonly kind: K;
  readonly handler: HandlerInfo<K>;
  /** This execution's container: resolve providers, register per-execution values. */
  readonly scope: ExecutionScope;
  readonly logger: FastifyBaseLogger;
  readonly details: DetailsOf<K>;
  readonly startedAt = Date.now();
  // Made on first use: most executions never look at their signal or hold a hook value.
  #abort: AbortController | undefined;
  #locals: Map<symbol, unknown> | undefined;

  constructor(init: ExecutionInit<K>, scope: ExecutionScope) {
    this.id = init.id ?? randomUUID();
    this.kind = init.kind;
    this.handler = init.handler;
    this.scope = scope;
    this.logger = init.logger;
    this.details = init.details ?? ({} as DetailsOf<K>);
    if (init.handle) init.handle.execution = this;
    const outer = init.signal;
    if (outer) {
      if (outer.aborted) this.abort(outer.reason);
      else outer.addEventListener('abort', () => this.abort(outer.reason), { once: true });
    }
  }

  /**
   * Fires when the execution should stop early; `reason` says why, the same class in every role:
   * TimeoutAbort (timeoutMs passed), ShutdownAbort (the shutdown deadline passed), ClientGoneAbort
   * (the HTTP client or WebSocket connection left), all from 'jararaca'.
   */
  get signal(): AbortSignal {
    return (this.#abort ??= new AbortController()).signal;
  }

  /** True once the execution was aborted (timeout, shutdown...); reading it makes no signal. */
  get aborted(): boolean {
    return this.#abort?.signal.aborted ?? false;
  }

  abort(reason?: unknown): void {
    (this.#abort ??= new AbortController()).abort(reason);
  }

  /** Narrows to one kind, so `details` and `handler.spec` are typed: `if (execution.is('http')) execution.details.request`. */
  is<J extends KnownKind>(kind: J): this is Execution<J> {
    return (this.kind as string) === kind;
  }

  /** @SetMetadata value for this handler (the method's wins over the class's). */
  getMetadata<T = unknown>(key: MetadataKey): T | undefined {
    return this.handler.metadata.get(key) as T | undefined;
  }

  setLocal(key: symbol, value: unknown): void {
    (this.#locals ??= new Map()).set(key, value);
  }

  getLocal<T>(key: symbol): T | undefined {
    return this.#locals?.get(key) as T | undefined;
  }

  hasLocal(key: symbol): boolean {
    return this.#locals?.has(key) ?? false;
  }
}

// The store is process-wide. Two copies of this module (the host from dist/ and user code
// importing the sources, or the reverse) would silently split it, and hooks would find no
// execution: refuse to load a second copy instead.
const STORE_KEY = Symbol.for('jararaca.executionStore');
const registry = globalThis as unknown as Record<symbol, { url: string; store: AsyncLocalStorage<Execution> } | undefined>;
const existing = registry[STORE_KEY];
if (existing && existing.url !== import.meta.url) throw new JararacaError('JRR_DUPLICATE_INSTANCE', duplicateMessage(existing.url, import.meta.url));
const store: AsyncLocalStorage<Execution> = existing?.store ?? new AsyncLocalStorage<Execution>();
registry[STORE_KEY] = { url: import.meta.url, store };

/** The install folder of a copy (the one holding host/ and dist/), from its execution module's URL. */
function installOf(url: string): string {
  const file = url.startsWith('file:') ? fileURLToPath(url) : url;
  return /^(.*?)[\\/](?:dist[\\/])?host[\\/]core[\\/]execution\.[cm]?[jt]s$/.exec(file)?.[1] ?? file;
}

function duplicateMessage(first: string, second: string): string {
  const [a, b] = [installOf(first), installOf(second)];
  if (a === b) {
    return `jararaca at ${a} is loaded twice, from its sources (host/, with --conditions=source) and from its build (dist/): import it by its package name ('jararaca') everywhere, and start every process with the same --conditions.`;
  }
  return (
    `two installs of jararaca are loaded in one process: ${a} and ${b}. A package that uses jararaca (a plugin, a library of controllers) must not bring its own copy: ` +
    `list jararaca under its peerDependencies (and devDependencies, for its own tests), not dependencies; when it is linked (file:, npm link), remove its node_modules/jararaca. The service's install is then the only one.`
  );
}

export function currentExecution(): Execution | undefined {
  return store.getStore();
}

/** Builds the onion once: interceptors[0] is the outermost layer. */
export function composeInterceptors(interceptors: readonly Interceptor[]): (execution: Execution, handler: Next) => Promise<unknown> {
  const n = interceptors.length;
  // Made once, not per execution: only the one `next` closure per layer is.
  const dispatch = (execution: Execution, handler: Next, i: number): Promise<unknown> => {
    if (i === n) return handler();
    let called = false;
    return interceptors[i](execution, () => {
      if (called) return Promise.reject(new JararacaError('JRR_NEXT_TWICE', `an interceptor called next() twice in ${execution.handler.name}`));
      called = true;
      return dispatch(execution, handler, i + 1);
    });
  };
  return (execution, handler) => dispatch(execution, handler, 0);
}

/**
 * The innermost layer. A handler that ends after its execution was aborted (it ignored the
 * signal past a timeout, and its message was already retried) must not count as a success:
 * failing here makes every layer outside roll back and drop what was staged.
 */
function runHandler<T, K extends ExecutionKind>(execution: Execution<K>, handler: (execution: Execution<K>) => Promise<T> | T): Promise<T> {
  // Not async (a promise and hops fewer per execution); a synchronous throw is a rejection.
  let result: Promise<T> | T;
  try {
    result = handler(execution);
  } catch (err) {
    return Promise.reject(err);
  }
  return Promise.resolve(result).then((value) => checkNotAborted(execution, value));
}

function checkNotAborted<T>(execution: Execution, value: T): T {
  if (execution.aborted) {
    const reason = execution.signal.reason as unknown;
    throw reason instanceof Error ? reason : new JararacaError('JRR_ABORTED', `${execution.handler.name} finished after its execution was aborted: its work is rolled back`);
  }
  return value;
}

/**
 * Runs `handler` as one execution: new scope, context, interceptor onion. The scope is
 * disposed (scoped providers' disposers run) whatever the outcome.
 */
export function runExecution<T, K extends ExecutionKind>(
  root: AwilixContainer,
  onion: (execution: Execution, handler: Next) => Promise<unknown>,
  init: ExecutionInit<K>,
  handler: (execution: Execution<K>) => Promise<T> | T,
): Promise<T> {
  const scope = new LightScope(root);
  const execution = new Execution<K>(init, scope);
  let outcome: Promise<unknown>;
  try {
    outcome = store.run(execution, () => onion(execution, () => runHandler(execution, handler)));
  } catch (err) {
    // An interceptor that throws instead of rejecting: the same outcome, the scope still disposed.
    outcome = Promise.reject(err);
  }
  return outcome.then(
    (value) => {
      const disposed = scope.dispose();
      return (disposed ? disposed.then(() => value) : value) as T;
    },
    (err: unknown) => {
      const disposed = scope.dispose();
      if (disposed) return disposed.then(() => Promise.reject(err));
      throw err;
    },
  );
}
