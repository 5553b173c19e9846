// usePublisher(): messages are validated at the call and staged on the execution; the plugin
// sends them only after every inner layer succeeded. With the outbox (a knex-session listed after
// message-bus) they are written to the outbox table in the execution's own transaction and the
// relay sends them after the commit; without it, the execution completes only once the broker
// confirmed them.
import { randomUUID } from 'node:crypto';
import { ArgumentError, defineHook, eventChannel, JararacaError, type MessageDefinition, type PayloadOf } from 'jararaca';
import type { StagedMessage } from './outbox-store.ts';
import { MAX_DELAY_MS } from './routing.ts';

export interface PublishOptions {
  /** Deliver no earlier than this many ms from now (see docs/message-bus.md for the precision). */
  delayMs?: number;
  /** Deliver no earlier than this time (with the outbox any time ahead; without it at most 7 days ahead). */
  at?: Date;
  /** Default: a random UUID. Consumers see it as ctx.id on every attempt. */
  messageId?: string;
  /** Your own headers. Nothing of the incoming message is copied onto outgoing ones. */
  headers?: Record<string, string | number | boolean>;
}

export interface Publisher {
  /** Validates the payload now (JRR_MESSAGE_INVALID), sends it when the execution succeeds. Returns the messageId. */
  publish<M extends MessageDefinition>(message: M, payload: PayloadOf<M>, options?: PublishOptions): string;
  /** Messages staged so far in this execution. */
  readonly staged: readonly StagedMessage[];
}

// Observability plugins add headers (trace context) to a message as it is staged: with the
// outbox they are stored with it, so the consumer continues the staging execution's trace.
const stages = eventChannel('jararaca:message-bus:stage');

export const usePublisher = defineHook<Publisher>({ name: 'usePublisher', plugin: 'message-bus' });

/** `maxDelayMs`: the longest delay accepted (the broker's 7 days without the outbox). */
export function createPublisher(maxDelayMs = MAX_DELAY_MS): Publisher {
  return new StagingPublisher(maxDelayMs);
}

// One per execution: a class, so publish() is shared on the prototype (no closure per execution).
class StagingPublisher implements Publisher {
  readonly staged: StagedMessage[] = [];
  readonly #maxDelayMs: number;

  constructor(maxDelayMs: number) {
    this.#maxDelayMs = maxDelayMs;
  }

  // For error messages only.
  get #limit(): string {
    return this.#maxDelayMs === MAX_DELAY_MS ? `${MAX_DELAY_MS} (7 days; longer delays need the outbox, see docs/message-bus.md)` : String(this.#maxDelayMs);
  }

  publish<M extends MessageDefinition>(message: M, payload: PayloadOf<M>, options: PublishOptions = {}): string {
    if (!message || typeof message.parse !== 'function') throw new ArgumentError('JRR_NOT_A_MESSAGE', 'publish() needs a message made with defineMessage() as its first argument');
    const body = Buffer.from(JSON.stringify(message.parse(payload)));
    const { delayMs, at, headers } = options;
    const maxDelayMs = this.#maxDelayMs;
    if (delayMs !== undefined && !(Number.isFinite(delayMs) && delayMs >= 0 && delayMs <= maxDelayMs)) {
      throw new JararacaError('JRR_PUBLISH_DELAY', `publish(${message.name}): delayMs must be a number from 0 to ${this.#limit}, got ${String(delayMs)}`);
    }
    if (at !== undefined) {
      if (!(at instanceof Date) || Number.isNaN(at.getTime())) throw new JararacaError('JRR_PUBLISH_DELAY', `publish(${message.name}): at must be a valid Date, got ${String(at)}`);
      if (delayMs !== undefined) throw new JararacaError('JRR_PUBLISH_DELAY', `publish(${message.name}): give either delayMs or at, not both`);
      if (at.getTime() - Date.now() > maxDelayMs) throw new JararacaError('JRR_PUBLISH_DELAY', `publish(${message.name}): at is more than ${this.#limit} ms ahead`);
    }
    const own: Record<string, string | number | boolean> = {};
    for (const key in headers) {
      if (!Object.hasOwn(headers, key)) continue;
      if (key.startsWith('x-jrr-')) throw new JararacaError('JRR_PUBLISH_HEADER', `publish(${message.name}): header '${key}' is reserved (x-jrr-* is the framework's bookkeeping)`);
      own[key] = headers[key];
    }
    const messageId = options.messageId ?? randomUUID();
    if (stages.hasSubscribers) {
      const added: Record<string, string> = {};
      stages.publish({ message: message.name, topic: message.topic, messageId, headers: added });
      for (const [key, value] of Object.entries(added)) if (!(key in own)) own[key] = value;
    }
    this.staged.push({ messageId, name: message.name, topic: message.topic, body, headers: own, timestamp: Date.now(), delayMs, at });
    return messageId;
  }
}

/** For a direct publish (no outbox): `at` as a delay from now. */
export function withRelativeDelays(messages: readonly StagedMessage[]): StagedMessage[] {
  return messages.map((m) => (m.at ? { ...m, at: undefined, delayMs: Math.max(0, m.at.getTime() - Date.now()) } : m));
}
