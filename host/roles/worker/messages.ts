// Messages and message handlers: `defineMessage` (a JSON Schema payload with its static type),
// `@MessageBusController` / `@MessageHandler`, and the transport contract that the worker role
// consumes through the 'jararaca.transport' capability (the built-in message-bus plugin
// provides it for amqp:// and memory://; a Kafka or SQS plugin could provide another).
import type { FromSchema, JSONSchema } from 'json-schema-to-ts';
import { classDecorator, handlerDecorator, type PublicMethodContext } from '../../core/decorators.ts';
import { ArgumentError, JararacaError } from '../../core/errors.ts';
import { declareHandlerKind } from '../../core/handler-kinds.ts';
import type { HandlerInfo } from '../../core/execution.ts';
import type { HealthReport } from '../../core/plugin.ts';
import { compileSchema, formatPath } from '../../core/schema.ts';

/** The capability name a transport plugin provides (`provides: { [TRANSPORT_CAPABILITY]: transport }`). */
export const TRANSPORT_CAPABILITY = 'jararaca.transport';

// Message handlers are run by the worker role, through a transport that a plugin provides.
declareHandlerKind('message', {
  isServed: (ctx) => ctx.capability(TRANSPORT_CAPABILITY) !== undefined,
  missing: (names) => `message handlers (${names.join(', ')}) need a message transport, and no declared plugin provides one: add '- use: message-bus' with { url: "\${AMQP_URL:-memory://}" }`,
});

declare module '../../core/execution.ts' {
  interface ExecutionKinds {
    /** A bus message: its context and validated payload; the handler as declared. */
    message: { details: { readonly message: MessageContext; readonly payload: unknown }; spec: MessageHandlerSpec };
  }
}

export type MessageKind = 'task' | 'event';

declare const payloadType: unique symbol;

export interface MessageDefinition<T = unknown> {
  /** The message's name: the AMQP `type` property of every message published. */
  readonly name: string;
  /** The routing key it is published with (exact words, no wildcards). */
  readonly topic: string;
  /** task: exactly one handler in a service; event: any number, each with its own queue. */
  readonly kind: MessageKind;
  readonly schema: JSONSchema;
  /**
   * How a consumer's trace relates to the producer's (with the telemetry plugin): 'child' (the
   * default) continues the producer's trace; 'link' starts a new trace linked to it (fan-out,
   * batch or long-delayed work that should not stretch the producer's trace).
   */
  readonly trace?: 'child' | 'link';
  /** Throws a MessageValidationError (JRR_MESSAGE_INVALID) saying what is wrong, or returns the payload. */
  parse(payload: unknown): T;
  /** Type-level only: the payload's static type. */
  readonly [payloadType]?: T;
}

export type PayloadOf<M> = M extends MessageDefinition<infer T> ? T : never;

export class MessageValidationError extends JararacaError {
  readonly issues: string[];
  constructor(message: string, issues: string[]) {
    super('JRR_MESSAGE_INVALID', `${message}: ${issues.join('; ')}`);
    this.issues = issues;
  }
}

const TOPIC = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;
const PATTERN = /^([A-Za-z0-9_-]+|\*|#)(\.([A-Za-z0-9_-]+|\*|#))*$/;

/**
 * Declares a message. Write the schema `as const` and the payload type follows from it:
 * `const TaskCreated = defineMessage({ name: 'TaskCreated', topic: 'task.created', kind: 'event', schema: { type: 'object', ... } as const })`.
 */
export function defineMessage<const S extends JSONSchema, T = FromSchema<S>>(def: { name: string; topic: string; kind: MessageKind; schema: S; trace?: 'child' | 'link' }): MessageDefinition<T> {
  if (!def || typeof def.name !== 'string' || !def.name) throw new ArgumentError('JRR_MESSAGE_DEFINITION', 'defineMessage() needs { name, topic, kind, schema }');
  if (!TOPIC.test(def.topic ?? '')) {
    throw new JararacaError('JRR_MESSAGE_TOPIC', `message ${def.name}: topic '${def.topic}' must be dot-separated words (letters, digits, '_' or '-'), without wildcards`);
  }
  if (def.kind !== 'task' && def.kind !== 'event') throw new JararacaError('JRR_MESSAGE_KIND', `message ${def.name}: kind must be 'task' or 'event'`);
  if (def.trace !== undefined && def.trace !== 'child' && def.trace !== 'link') throw new ArgumentError('JRR_MESSAGE_DEFINITION', `message ${def.name}: trace must be 'child' or 'link'`);
  let validate: ReturnType<typeof compileSchema> | undefined;
  const message = Object.freeze({
    name: def.name,
    topic: def.topic,
    kind: def.kind,
    schema: def.schema,
    ...(def.trace ? { trace: def.trace } : {}),
    parse(payload: unknown): T {
      validate ??= compileSchema(def.schema as Record<string, unknown> | boolean);
      if (validate(payload)) return payload as T;
      const issues = (validate.errors ?? []).map((e) => {
        const at = formatPath(e.instancePath.split('/').slice(1));
        return `${at || 'payload'} ${e.message ?? 'is invalid'}`;
      });
      throw new MessageValidationError(`invalid ${def.name} payload`, issues);
    },
  }) as MessageDefinition<T>;
  defined.add(message);
  return message;
}

// Every message defined in this process, for the AsyncAPI document: the messages a service's
// modules define are the ones its handlers may publish (publishing is not declared anywhere else).
const defined = new Set<MessageDefinition>();

/** Messages made with defineMessage() since the process started, in definition order. */
export function definedMessages(): ReadonlySet<MessageDefinition> {
  return defined;
}

// ---- handlers ----

export interface RetryPolicy {
  /** Deliveries in all, the first included, before the message goes to the dead-letter queue. */
  maxAttempts: number;
  /** Delay before the second attempt; doubles each attempt, ±25% jitter. */
  initialDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: Readonly<RetryPolicy> = Object.freeze({ maxAttempts: 5, initialDelayMs: 1000, maxDelayMs: 60000 });

export interface MessageHandlerOptions {
  /** Handler name (default `Class.method`); the queue is `<service>.<name>`. */
  name?: string;
  /** Binding pattern, default the message's exact topic. AMQP wildcards: `*` one word, `#` any words. */
  topic?: string;
  retry?: Partial<RetryPolicy>;
  /** The execution's signal fires after this long and the message is retried (default: none). */
  timeoutMs?: number;
  /** Unacknowledged messages at once for this handler (default worker.prefetch). */
  prefetch?: number;
  /**
   * Record (handler, messageId) in the handler's transaction and acknowledge a duplicate without
   * running the handler (the message-bus inbox; needs a knex-session). Default: message-bus's inbox option.
   */
  inbox?: boolean;
}

/** Class-level defaults for every handler of the class. */
export type MessageBusControllerOptions = Pick<MessageHandlerOptions, 'retry' | 'timeoutMs' | 'prefetch' | 'inbox'>;

export interface MessageHandlerSpec extends MessageHandlerOptions {
  message: MessageDefinition;
}

export function MessageBusController(options: MessageBusControllerOptions = {}) {
  return classDecorator<MessageBusControllerOptions>('message', options);
}

/** The method @MessageHandler(M) accepts: its first parameter takes `PayloadOf<M>`. */
export type MessageHandlerMethod<This, M> = (this: This, payload: PayloadOf<M>, ctx: MessageContext) => unknown;

/** `@MessageHandler(TaskCreated) async done(payload: PayloadOf<typeof TaskCreated>, ctx) {}`: one durable queue per handler. */
export function MessageHandler<M extends MessageDefinition>(message: M, options: MessageHandlerOptions = {}): <This>(value: MessageHandlerMethod<This, M>, context: PublicMethodContext<This>) => void {
  if (!message || typeof message.parse !== 'function') throw new ArgumentError('JRR_NOT_A_MESSAGE', '@MessageHandler() needs a message made with defineMessage()');
  if (options.topic !== undefined && !PATTERN.test(options.topic)) {
    throw new JararacaError('JRR_MESSAGE_TOPIC', `@MessageHandler(${message.name}): topic pattern '${options.topic}' must be dot-separated words, '*' or '#'`);
  }
  const decorate = handlerDecorator<MessageHandlerSpec>('message', { ...options, message });
  return (value, context) => decorate(value as never, context as PublicMethodContext<never>);
}

/** What a handler receives besides the payload. */
export interface MessageContext {
  /** The message id (AMQP messageId): the same on every attempt, use it to deduplicate. */
  readonly id: string;
  /** The message name (AMQP type). */
  readonly name: string;
  /** The routing key it was published with. */
  readonly topic: string;
  /** 1 on the first delivery. */
  readonly attempt: number;
  readonly maxAttempts: number;
  /** The message's own headers (never copied onto messages this handler publishes). */
  readonly headers: Readonly<Record<string, unknown>>;
  /** Fires on timeout or shutdown: stop work, the message will be redelivered. */
  readonly signal: AbortSignal;
  readonly publishedAt?: Date;
  /** The broker redelivered it (a previous consumer died or did not settle it). */
  readonly redelivered: boolean;
  readonly handler: string;
  readonly queue: string;
  /** Fails the execution and retries the message after `delayMs` (instead of the backoff); it counts as an attempt. */
  retryLater(delayMs: number, reason?: string): never;
  /** Fails the execution and dead-letters the message now, with `reason` (same as `throw new Unrecoverable(reason)`). */
  deadLetter(reason: string): never;
}

/** A resolved handler: what the worker consumes and the dlq command addresses. */
export interface MessageHandlerPlan {
  readonly info: HandlerInfo<'message'>;
  readonly name: string;
  readonly message: MessageDefinition;
  readonly queue: string;
  readonly bindings: readonly string[];
  readonly retry: RetryPolicy;
  readonly timeoutMs?: number;
  readonly prefetch: number;
}

export function planHandlers(serviceName: string, handlers: readonly HandlerInfo<'message'>[], defaultPrefetch = 10): MessageHandlerPlan[] {
  return handlers.map((info) => {
    const spec = info.spec;
    const name = spec.name ?? info.name;
    return {
      info,
      name,
      message: spec.message,
      queue: `${serviceName}.${name}`,
      bindings: [spec.topic ?? spec.message.topic],
      retry: { ...DEFAULT_RETRY, ...spec.retry },
      timeoutMs: spec.timeoutMs,
      prefetch: spec.prefetch ?? defaultPrefetch,
    };
  });
}

/** The queues the handlers need (what the worker and `jararaca-host declare` assert). */
export function queueSpecs(plans: readonly MessageHandlerPlan[]): QueueSpec[] {
  return plans.map((p) => ({
    queue: p.queue,
    bindings: p.bindings,
    // Retry delays the policy may use, so their delay queues exist from the start.
    retryDelaysMs: Array.from({ length: Math.max(0, p.retry.maxAttempts - 1) }, (_, i) => Math.min(p.retry.maxDelayMs, p.retry.initialDelayMs * 2 ** i)),
  }));
}

/** Mistakes in the handlers as a whole (a task with two handlers, two handlers with one name). */
export function handlerProblems(plans: readonly MessageHandlerPlan[]): string[] {
  const problems: string[] = [];
  const byTask = new Map<string, string[]>();
  const byName = new Map<string, number>();
  for (const p of plans) {
    if (p.message.kind === 'task') byTask.set(p.message.name, [...(byTask.get(p.message.name) ?? []), p.info.name]);
    byName.set(p.name, (byName.get(p.name) ?? 0) + 1);
  }
  for (const [task, names] of byTask) {
    if (names.length > 1) problems.push(`task message ${task} has ${names.length} handlers (${names.join(', ')}): a task has exactly one; declare it kind: 'event' for several`);
  }
  for (const [name, n] of byName) if (n > 1) problems.push(`${n} message handlers are named '${name}': give each its own name (they would share one queue)`);
  return problems;
}

/** Delay before attempt `attempt + 1`: initialDelayMs · 2^(attempt-1), ±25% jitter, capped. */
export function retryDelay(policy: RetryPolicy, attempt: number, random = Math.random): number {
  const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.max(0, Math.min(policy.maxDelayMs, Math.round(base * (0.75 + random() * 0.5))));
}

// ---- the transport contract ----

/** One message as it travels: the body is the JSON payload. */
export interface OutgoingMessage {
  readonly messageId: string;
  /** The message name (AMQP `type`). */
  readonly name: string;
  /** Routing key. */
  readonly topic: string;
  readonly body: Buffer;
  readonly headers: Readonly<Record<string, string | number | boolean>>;
  readonly timestamp: number;
  /** Deliver no earlier than this many ms from now. */
  readonly delayMs?: number;
}

export interface Delivery {
  readonly queue: string;
  readonly body: Buffer;
  readonly messageId?: string;
  readonly name?: string;
  readonly contentType?: string;
  /** The routing key it was first published with (kept across retries). */
  readonly topic: string;
  readonly headers: Readonly<Record<string, unknown>>;
  /** 1 on the first delivery; the transport counts retries. */
  readonly attempt: number;
  readonly redelivered: boolean;
  readonly timestamp?: number;
}

/** `attempt` (retry, dead-letter): the attempt the worker counted, when it is not the delivery's own (a forged header). */
export type Settlement =
  | { action: 'ack' }
  /** Back to the same queue only (not to the other handlers of an event) after delayMs, attempt + 1. */
  | { action: 'retry'; delayMs: number; error: string; attempt?: number }
  /** To the handler's dead-letter queue, with the error, attempt count and original routing key in headers. */
  | { action: 'dead-letter'; error: string; attempt?: number }
  /** Straight back to the queue, attempt unchanged (shutdown). */
  | { action: 'requeue' };

export interface QueueSpec {
  readonly queue: string;
  readonly bindings: readonly string[];
  /** Retry delays the policy may use, so their delay queues exist from the start. */
  readonly retryDelaysMs: readonly number[];
}

export interface ConsumerHandle {
  /** Stops new deliveries; deliveries already handed over can still be settled. */
  cancel(): Promise<void>;
  /**
   * Stops new deliveries for a while (a dependency is down), leaving messages in the queue;
   * deliveries already handed over can still be settled. Stays paused across reconnects.
   */
  pause?(): Promise<void>;
  /** Delivers again after pause(). */
  resume?(): Promise<void>;
}

export interface DeadLetter {
  readonly messageId?: string;
  readonly name?: string;
  readonly topic?: string;
  readonly error?: string;
  readonly attempts?: number;
  readonly failedAt?: string;
  readonly body: string;
  /** The message's headers as dead-lettered (the error and attempts among them). */
  readonly headers?: Readonly<Record<string, unknown>>;
}

/** A queue's state at the broker (the console's handlers page). */
export interface QueueStats {
  /** Messages ready in the handler's queue. */
  messages: number;
  consumers: number;
  /** Messages in its dead-letter queue. */
  deadLetters: number;
}

/** Chooses dead letters for requeue() and purge() (the console's "all matching a filter"); the others stay where they are. */
export type DeadLetterFilter = (letter: DeadLetter) => boolean;

export interface DeadLetterAdmin {
  /** Reads up to `limit` dead letters without removing them. */
  list(queue: string, limit: number): Promise<DeadLetter[]>;
  /** Moves up to `limit` back to the handler's queue (confirmed before removal), attempt reset. Returns how many. */
  requeue(queue: string, limit: number, filter?: DeadLetterFilter): Promise<number>;
  /** Deletes dead letters (all, or up to `limit`; with `filter`, only those it chooses). Returns how many. */
  purge(queue: string, limit?: number, filter?: DeadLetterFilter): Promise<number>;
  /** The handler's queue and dead-letter queue at the broker; undefined when it is not declared (optional). */
  stats?(queue: string): Promise<QueueStats | undefined>;
}

export interface MessageTransport {
  /** 'amqp', 'memory'... for logs. */
  readonly kind: string;
  /** Declares queues, bindings, delay and dead-letter queues; kept and re-asserted after a reconnect. */
  assertTopology(queues: readonly QueueSpec[]): Promise<void>;
  /** Starts delivering; `onDelivery` must lead to exactly one settle() per delivery. Resumes by itself after a reconnect. */
  consume(queue: string, prefetch: number, onDelivery: (delivery: Delivery) => void): Promise<ConsumerHandle>;
  /** A delivery from a connection that has since dropped is ignored: the broker redelivers it. */
  settle(delivery: Delivery, settlement: Settlement): Promise<void>;
  /** Resolves once the broker confirmed every message (waits for a reconnect up to a bound). */
  publish(messages: readonly OutgoingMessage[]): Promise<void>;
  health(): HealthReport;
  readonly deadLetters?: DeadLetterAdmin;
  /** True when nothing is queued for a consumer, being delivered or waiting for a delay (optional; the test kit's settle() uses it). */
  idle?(): boolean;
}
