// W3C traceparent / tracestate / baggage in and out: message headers, incoming HTTP requests and
// the headers a service-to-service client adds to its calls.
import { context, propagation, trace, type Context, type Link, type TextMapGetter } from '@opentelemetry/api';

const headerGetter: TextMapGetter<Readonly<Record<string, unknown>>> = {
  keys: (carrier) => Object.keys(carrier),
  get(carrier, key) {
    const value = carrier[key] ?? carrier[key.toLowerCase()];
    if (Array.isArray(value)) return value.map(String);
    return value === undefined || value === null ? undefined : String(value);
  },
};

/** The context a carrier (message headers, HTTP request headers) brings, over `base`. */
export function extractFrom(headers: Readonly<Record<string, unknown>> | undefined, base: Context = context.active()): Context {
  return headers && (headers.traceparent !== undefined || headers.baggage !== undefined) ? propagation.extract(base, headers, headerGetter) : base;
}

/** A link to the span a carrier names, if it names one (a public edge's caller, a 'link' message's producer). */
export function linkFrom(headers: Readonly<Record<string, unknown>> | undefined): Link | undefined {
  if (!headers || headers.traceparent === undefined) return undefined;
  const spanContext = trace.getSpanContext(propagation.extract(context.active(), headers, headerGetter));
  return spanContext && trace.isSpanContextValid(spanContext) ? { context: spanContext } : undefined;
}

/** Writes the context's traceparent, tracestate and baggage into `headers`. */
export function injectInto(headers: Record<string, string>, from: Context = context.active()): void {
  propagation.inject(from, headers);
}

/**
 * The trace headers (traceparent, tracestate, baggage) for an outgoing call made now, so the
 * service called continues this execution's trace: `fetch(url, { headers: { ...outgoingTraceHeaders() } })`.
 * Empty when telemetry is not declared or no span is active.
 */
export function outgoingTraceHeaders(): Record<string, string> {
  const headers: Record<string, string> = {};
  propagation.inject(context.active(), headers);
  return headers;
}
