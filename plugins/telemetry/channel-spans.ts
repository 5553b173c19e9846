// Child spans from the framework's diagnostics channels: transactions, publishes (until the
// broker's confirm; an outbox relay send continues the trace of the execution that staged the
// message), WebSocket sends, service-to-service calls (a client span per serviceFetch attempt,
// its trace context in the attempt's headers); and the trace context written into each message as
// it is staged.
import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Span, type Tracer } from '@opentelemetry/api';
import { eventChannel, tracingChannel, type HttpClientEvent, type PublishEvent, type StageEvent, type TransactionEvent, type WsSendEvent } from 'jararaca';
import { extractFrom, injectInto } from './propagation.ts';

// The span of an event, kept on the event object itself (one shape change, the same for every
// event of a channel) rather than in a WeakMap entry per event.
const SPAN = Symbol('jararaca.telemetry.span');
type WithSpan = { [SPAN]?: Span };

function setSpan(event: object, span: Span): void {
  (event as WithSpan)[SPAN] = span;
}

function spanOf(event: object): Span | undefined {
  return (event as WithSpan)[SPAN];
}

function fail(event: object & { error?: unknown }): void {
  const span = spanOf(event);
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
  const clientCalls = tracingChannel('jararaca:http-client:request');
  const stages = eventChannel('jararaca:message-bus:stage');

  const transaction = {
    start(event: TransactionEvent) {
      // Attributes only for a recorded (sampled) span, here and below.
      const span = tracer.startSpan('transaction', { kind: SpanKind.CLIENT });
      if (span.isRecording()) span.setAttribute('jararaca.session.connection', event.connection);
      setSpan(event, span);
    },
    end: ignore,
    asyncStart: ignore,
    asyncEnd(event: TransactionEvent) {
      const span = spanOf(event);
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
      const span = tracer.startSpan(`publish ${event.topic}`, { kind: SpanKind.PRODUCER }, parent);
      if (span.isRecording()) {
        span.setAttributes({
          'messaging.system': messagingSystem(),
          'messaging.operation.type': 'send',
          'messaging.operation.name': 'publish',
          'messaging.destination.name': event.exchange,
          'messaging.rabbitmq.destination.routing_key': event.topic,
          'messaging.message.id': event.messageId,
          'jararaca.message.name': event.message,
          'jararaca.publish.via': event.via,
        });
      }
      setSpan(event, span);
      // The consumer continues from this send (its confirm included), not from the staging span.
      injectInto(event.headers as Record<string, string>, trace.setSpan(parent, span));
    },
    end: ignore,
    asyncStart: ignore,
    asyncEnd(event: PublishEvent & { error?: unknown }) {
      const span = spanOf(event);
      if (!span) return;
      span.setAttribute('jararaca.publish.confirmed', event.error === undefined);
      span.end();
    },
    error: fail,
  };

  const wsSend = {
    start(event: WsSendEvent) {
      const span = tracer.startSpan('websocket send', { kind: SpanKind.PRODUCER });
      if (span.isRecording()) {
        span.setAttribute('jararaca.websocket.method', event.method);
        if (event.frames !== undefined) span.setAttribute('jararaca.websocket.frames', event.frames);
      }
      setSpan(event, span);
    },
    end: ignore,
    asyncStart: ignore,
    asyncEnd(event: WsSendEvent & { result?: unknown }) {
      const span = spanOf(event);
      if (!span) return;
      if (typeof event.result === 'string') span.setAttribute('jararaca.websocket.outcome', event.result);
      span.end();
    },
    error: fail,
  };

  // HTTP client semantic conventions. The span is named by method and host: the URL's path has
  // ids in it (unbounded), and the client's route template does not reach fetch.
  const clientCall = {
    start(event: HttpClientEvent) {
      const url = new URL(event.url);
      const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
      const attributes: Record<string, string | number> = {
        'http.request.method': event.method.toUpperCase(),
        'url.full': `${url.origin}${url.pathname}`,
        'server.address': url.hostname,
        'server.port': port,
      };
      if (event.attempt > 1) attributes['http.request.resend_count'] = event.attempt - 1;
      const span = tracer.startSpan(`${event.method.toUpperCase()} ${url.host}`, { kind: SpanKind.CLIENT });
      if (span.isRecording()) span.setAttributes(attributes);
      setSpan(event, span);
      const carrier: Record<string, string> = {};
      injectInto(carrier, trace.setSpan(context.active(), span));
      for (const [key, value] of Object.entries(carrier)) event.headers.set(key, value);
    },
    end: ignore,
    asyncStart: ignore,
    asyncEnd(event: HttpClientEvent & { error?: unknown }) {
      const span = spanOf(event);
      if (!span) return;
      if (event.status !== undefined) {
        span.setAttribute('http.response.status_code', event.status);
        if (event.status >= 400) {
          span.setAttribute('error.type', String(event.status));
          span.setStatus({ code: SpanStatusCode.ERROR });
        }
      } else if (event.error !== undefined) {
        span.setAttribute('error.type', (event.error as Error)?.name ?? 'Error');
      }
      span.end();
    },
    error: fail,
  };

  const stage = (event: StageEvent) => injectInto(event.headers);

  transactions.subscribe(transaction);
  publishes.subscribe(publish);
  wsSends.subscribe(wsSend);
  clientCalls.subscribe(clientCall);
  stages.subscribe(stage);
  return () => {
    transactions.unsubscribe(transaction);
    publishes.unsubscribe(publish);
    wsSends.unsubscribe(wsSend);
    clientCalls.unsubscribe(clientCall);
    stages.unsubscribe(stage);
  };
}
