// usePublisher(): messages are validated at the call and staged on the execution; the plugin
// sends them only after every inner layer succeeded (after the session's commit when listed
// before it), and the execution completes only once the broker confirmed them.
import { randomUUID } from 'node:crypto';
import { ArgumentError, defineHook, JararacaError, type MessageDefinition, type OutgoingMessage, type PayloadOf } from 'jararaca';
import { MAX_DELAY_MS } from './routing.ts';

export interface PublishOptions {
  /** Deliver no earlier than this (broker-native delay queues, no extra process); see docs/message-bus.md for the precision. */
  delayMs?: number;
  /** Default: a random UUID. Consumers see it as ctx.id on every attempt. */
  messageId?: string;
  /** Your own headers. Nothing of the incoming message is copied onto outgoing ones. */
  headers?: Record<string, string | number | boolean>;
}

export interface Publisher {
  /** Validates the payload now (JRR_MESSAGE_INVALID), sends it when the execution succeeds. Returns the messageId. */
  publish<M extends MessageDefinition>(message: M, payload: PayloadOf<M>, options?: PublishOptions): string;
  /** Messages staged so far in this execution. */
  readonly staged: readonly OutgoingMessage[];
}

export const usePublisher = defineHook<Publisher>({ name: 'usePublisher', plugin: 'message-bus' });

export function createPublisher(): Publisher {
  const staged: OutgoingMessage[] = [];
  return {
    staged,
    publish(message, payload, options = {}) {
      if (!message || typeof message.parse !== 'function') throw new ArgumentError('JRR_NOT_A_MESSAGE', 'publish() needs a message made with defineMessage() as its first argument');
      const body = Buffer.from(JSON.stringify(message.parse(payload)));
      const { delayMs, headers = {} } = options;
      if (delayMs !== undefined && !(Number.isFinite(delayMs) && delayMs >= 0 && delayMs <= MAX_DELAY_MS)) {
        throw new JararacaError('JRR_PUBLISH_DELAY', `publish(${message.name}): delayMs must be a number from 0 to ${MAX_DELAY_MS} (7 days), got ${String(delayMs)}`);
      }
      for (const key of Object.keys(headers)) {
        if (key.startsWith('x-jrr-')) throw new JararacaError('JRR_PUBLISH_HEADER', `publish(${message.name}): header '${key}' is reserved (x-jrr-* is the framework's bookkeeping)`);
      }
      const messageId = options.messageId ?? randomUUID();
      staged.push({ messageId, name: message.name, topic: message.topic, body, headers: { ...headers }, timestamp: Date.now(), delayMs });
      return messageId;
    },
  };
}
