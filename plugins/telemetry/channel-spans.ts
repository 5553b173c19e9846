// Child spans from the framework's diagnostics channels: transactions, publishes (until the
// broker's confirm; an outbox relay send continues the trace of the execution that staged the
// message), WebSocket sends; and the trace context written into each message as it is staged.
import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Span, type Tracer } from '@opentelemetry/api';
import { eventChannel, tracingChannel, type PublishEvent, type StageEvent, type TransactionEvent, type WsSendEvent } from 'jararaca';
import { extractFrom, injectInto } from './propagation.ts';

const spans = new WeakMap<object, Span>();

function fail(event: object & { error?: unknown }): void {
  const span = spans.get(event);
  if (!span) return;
  span.recordException(event.error as Error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: (event.error as Error | undefined)?.message });
}

const ignore = () => undefined;

/** Subscribes; returns the unsubscribe. */
export function subscribeChannelSpans(tracer: Tracer, messagingSystem: () => string): () => void {
  const transactions = tracingChannel('jararaca:session:transaction');
  const publishes = tracingChannel('jararaca:message-bus:publish');
  const wsSends = tracingChannel('jararaca:websocket:send');
  const stages = eventChannel('jararaca:message-bus:stage');

  const transaction = {
    start(event: TransactionEvent) {
      spans.set(event, tracer.startSpan('transaction', { kind: SpanKind.CLIENT, attributes: { 'jararaca.session.connection': event.connection } }));
    },
    end: ignore,
    asyncStart: ignore,
    asyncEnd(event: TransactionEvent) {
      const span = spans.get(event);
      if (!span) return;
      if (event.outcome) span.setAttribute('jararaca.transaction.outcome', event.outcome);
      span.end();
    },
    error: fail,
  };

  const publish = {
    start(event: PublishEvent) {
      // The context staged with the message (the staging execution's), else the current one.
      const parent = event.headers.traceparent !== undefined ? extractFrom(event.headers, ROOT_CONTEXT) : context.active();
      const span = tracer.startSpan(
        `publish ${event.topic}`,
        {
          kind: SpanKind.PRODUCER,
          attributes: {
            'messaging.system': messagingSystem(),
            'messaging.operation.type': 'send',
            'messaging.operation.name': 'publish',
            'messaging.destination.name': event.exchange,
            'messaging.rabbitmq.destination.routing_key': event.topic,
            'messaging.message.id': event.messageId,
            'jararaca.message.name': event.message,
            'jararaca.publish.via': event.via,
          },
        },
        parent,
      );
      spans.set(event, span);
      // The consumer continues from this send (its confirm included), not from the staging span.
      injectInto(event.headers as Record<string, string>, trace.setSpan(parent, span));
    },
    end: ignore,
    asyncStart: ignore,
    asyncEnd(event: PublishEvent & { error?: unknown }) {
      const span = spans.get(event);
      if (!span) return;
      span.setAttribute('jararaca.publish.confirmed', event.error === undefined);
      span.end();
    },
    error: fail,
  };

  const wsSend = {
    start(event: WsSendEvent) {
      const attributes: Record<string, string | number> = { 'jararaca.websocket.method': event.method };
      if (event.frames !== undefined) attributes['jararaca.websocket.frames'] = event.frames;
      spans.set(event, tracer.startSpan('websocket send', { kind: SpanKind.PRODUCER, attributes }));
    },
    end: ignore,
    asyncStart: ignore,
    asyncEnd(event: WsSendEvent & { result?: unknown }) {
      const span = spans.get(event);
      if (!span) return;
      if (typeof event.result === 'string') span.setAttribute('jararaca.websocket.outcome', event.result);
      span.end();
    },
    error: fail,
  };

  const stage = (event: StageEvent) => injectInto(event.headers);

  transactions.subscribe(transaction);
  publishes.subscribe(publish);
  wsSends.subscribe(wsSend);
  stages.subscribe(stage);
  return () => {
    transactions.unsubscribe(transaction);
    publishes.unsubscribe(publish);
    wsSends.unsubscribe(wsSend);
    stages.unsubscribe(stage);
  };
}
