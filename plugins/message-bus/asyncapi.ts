// The message-bus plugin's part of the AsyncAPI document: the AMQP bindings of the channels the
// host wrote. A message's channel is a routing key on the service's durable topic exchange; a
// handler's channel is its durable queue (classic or quorum), with its dead-letter queue and the
// properties every published message carries (persistent, messageId, type, timestamp).
import type { AsyncApiBase, AsyncApiFragment } from 'jararaca';

const AMQP = '0.3.0';

export function busAsyncApi(base: AsyncApiBase, settings: { exchange: string; queueType: 'classic' | 'quorum'; transport: string }): AsyncApiFragment {
  const fragment: Required<Pick<AsyncApiFragment, 'channels' | 'operations'>> & { components: { messages: NonNullable<NonNullable<AsyncApiFragment['components']>['messages']> } } = {
    channels: {},
    operations: {},
    components: { messages: {} },
  };
  const exchange = { name: settings.exchange, type: 'topic', durable: true, autoDelete: false };
  for (const c of base.messageChannels) {
    fragment.channels[c.id] = { bindings: { amqp: { is: 'routingKey', exchange, bindingVersion: AMQP } } };
    fragment.operations[`publish${c.id}`] = { bindings: { amqp: { deliveryMode: 2, timestamp: true, bindingVersion: AMQP } } };
    fragment.components.messages[c.id] = {
      bindings: { amqp: { messageType: c.message, bindingVersion: AMQP } },
      // The AMQP properties a consumer sees (the body is the JSON payload).
      'x-jararaca-amqp-properties': { contentType: 'application/json', type: c.message, messageId: 'a UUID, the same on every attempt', deliveryMode: 2, timestamp: 'seconds since the epoch' },
    };
  }
  for (const q of base.queueChannels) {
    fragment.channels[q.id] = {
      bindings: { amqp: { is: 'queue', queue: { name: q.queue, durable: true, exclusive: false, autoDelete: false }, bindingVersion: AMQP } },
      'x-jararaca-queue-type': settings.queueType,
      'x-jararaca-bound-to': { exchange: settings.exchange, routingKeys: [...q.bindings] },
      'x-jararaca-dead-letter-queue': `${q.queue}.dlq`,
    };
    fragment.operations[q.operation] = { bindings: { amqp: { ack: true, bindingVersion: AMQP } } };
  }
  return fragment;
}
