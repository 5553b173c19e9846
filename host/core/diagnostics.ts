// What the framework reports about its own work, on node:diagnostics_channel — the mechanism
// Fastify, undici and pg use. Publishing costs a branch when nobody subscribes, so the roles and
// built-in plugins report unconditionally; observability plugins (telemetry, metrics, a
// third-party one) subscribe by these names. Executions themselves need no channel: a plugin's
// `intercept` sees every one.
//
// Channels with a duration are TracingChannels (start/end/asyncStart/asyncEnd/error around the
// work; `tracePromise`), the others plain channels carrying one event.
import diagnostics from 'node:diagnostics_channel';

/** A transaction of knex-session, BEGIN … COMMIT/ROLLBACK (tracing channel). */
export interface TransactionEvent {
  /** The knex-session connection name ('default'). */
  connection: string;
  /** Set when the transaction settles. */
  outcome?: 'commit' | 'rollback';
}

/**
 * A message about to be staged or published (plain channel, synchronous): subscribers may add
 * `headers` (trace context, baggage). With the outbox the headers are stored with the message, so
 * they are the staging execution's, not the relay's.
 */
export interface StageEvent {
  message: string;
  topic: string;
  messageId: string;
  headers: Record<string, string>;
}

/** One publish to the broker, with its confirm (tracing channel). */
export interface PublishEvent {
  message: string;
  topic: string;
  exchange: string;
  messageId: string;
  /**
   * The headers the message is sent with (the object the transport sends, read after `start`):
   * a subscriber may set the trace context headers to its publish span's, so the consumer is
   * that span's child. Other headers are not to be changed.
   */
  headers: Record<string, unknown>;
  /** 'outbox' when the relay sends a stored message; 'direct' otherwise. */
  via: 'direct' | 'outbox';
}

/** A delivery's progress in the worker (plain channel). `in flight` = received − settled; 'requeued' (shutdown, a dependency down, a failed settle) settles it too. */
export interface DeliveryEvent {
  handler: string;
  queue: string;
  messageId: string;
  attempt: number;
  outcome: 'received' | 'acked' | 'retried' | 'dead-lettered' | 'requeued';
  /** Handling time, on settlement. */
  durationMs?: number;
  /** On 'retried' and 'dead-lettered': the error it was settled with. */
  error?: string;
  /** On 'dead-lettered': the message as it went to the dead-letter queue (the console indexes it). */
  deadLetter?: { body: Buffer; name?: string; topic: string; headers: Readonly<Record<string, unknown>>; attempts: number };
}

/** The outbox relay's view after each pass (plain channel). */
export interface OutboxEvent {
  connection: string;
  pending: number;
  /** Age of the oldest pending message, 0 when none. */
  lagMs: number;
}

/** A scheduled slot (plain channel). */
export interface ScheduledEvent {
  action: string;
  /** ISO time of the slot. */
  slot: string;
  outcome: 'fired' | 'skipped' | 'succeeded' | 'failed' | 'missed';
  lagMs: number;
  durationMs?: number;
}

/**
 * An execution's WebSocket sends leaving this process for the backend (tracing channel around the
 * flush). Frames a slow client could not take are `dropped` events of the connection channel.
 */
export interface WsSendEvent {
  /** The first send of the flush ('send' to rooms, 'sendTo' connections, 'broadcast'). */
  method: 'send' | 'sendTo' | 'broadcast';
  /** Frames (send calls) in this flush, when it is one. */
  frames?: number;
}

/** A WebSocket connection opening or closing, or a frame (plain channel). */
export interface WsConnectionEvent {
  endpoint: string;
  event: 'open' | 'close' | 'frame-in' | 'frame-out' | 'dropped';
}

/**
 * One attempt of a call to another service through serviceFetch (tracing channel). `headers` are
 * the outgoing request's: a `start` subscriber may set some (traceparent) before it is sent.
 */
export interface HttpClientEvent {
  method: string;
  url: string;
  attempt: number;
  headers: Headers;
  /** The response's status, set when it arrives. */
  status?: number;
}

export interface TracingChannels {
  'jararaca:session:transaction': TransactionEvent;
  'jararaca:message-bus:publish': PublishEvent;
  'jararaca:websocket:send': WsSendEvent;
  'jararaca:http-client:request': HttpClientEvent;
}

export interface EventChannels {
  'jararaca:message-bus:stage': StageEvent;
  'jararaca:message-bus:delivery': DeliveryEvent;
  'jararaca:message-bus:outbox': OutboxEvent;
  'jararaca:scheduler:slot': ScheduledEvent;
  'jararaca:websocket:connection': WsConnectionEvent;
}

/** A tracing channel by name, typed by its event (`tracingChannel('jararaca:message-bus:publish').tracePromise(fn, event)`). */
export function tracingChannel<N extends keyof TracingChannels>(name: N): diagnostics.TracingChannel<object, TracingChannels[N] & object> {
  return diagnostics.tracingChannel(name) as diagnostics.TracingChannel<object, TracingChannels[N] & object>;
}

/** A plain channel by name, typed by its event. Check `hasSubscribers` before building an event on a hot path. */
export function eventChannel<N extends keyof EventChannels>(name: N): TypedChannel<EventChannels[N]> {
  return diagnostics.channel(name) as unknown as TypedChannel<EventChannels[N]>;
}

export interface TypedChannel<E> {
  readonly hasSubscribers: boolean;
  publish(event: E): void;
  subscribe(listener: (event: E) => void): void;
  unsubscribe(listener: (event: E) => void): boolean;
}
