// Publishes reported on the `jararaca:message-bus:publish` tracing channel, one event per
// message: start/end when the batch is handed to the transport, asyncStart/asyncEnd once the
// broker confirmed it (error before them when it did not). Nothing is built when nobody listens.
import { tracingChannel, type MessageTransport, type OutgoingMessage, type PublishEvent } from 'jararaca';

const publishes = tracingChannel('jararaca:message-bus:publish');

export function tracedPublish(transport: MessageTransport, messages: readonly OutgoingMessage[], exchange: string, via: PublishEvent['via']): Promise<void> {
  if (!publishes.hasSubscribers) return transport.publish(messages);
  const events = messages.map((m): PublishEvent => ({ message: m.name, topic: m.topic, exchange, messageId: m.messageId, headers: m.headers as Record<string, unknown>, via }));
  for (const event of events) {
    publishes.start.publish(event);
    publishes.end.publish(event);
  }
  const settled = (error?: unknown) => {
    for (const event of events) {
      if (error !== undefined) publishes.error.publish(Object.assign(event, { error }));
      publishes.asyncStart.publish(event);
      publishes.asyncEnd.publish(event);
    }
  };
  return transport.publish(messages).then(
    () => settled(),
    (err: unknown) => {
      settled(err);
      throw err;
    },
  );
}
