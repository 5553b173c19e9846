// Tracing a function of your own: `traced('price quote', () => ...)` or `@Traced()` on a method.
// A child span of whatever is active (the execution's span); with telemetry not declared the
// OpenTelemetry API is a no-op and the function just runs.
import { SpanStatusCode, trace, type Attributes, type Span, type SpanKind } from '@opentelemetry/api';

export interface TracedOptions {
  attributes?: Attributes;
  kind?: SpanKind;
}

function failed(span: Span, err: unknown): void {
  span.recordException(err as Error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error)?.message });
}

/** Runs `fn` in a span named `name` (ended when `fn` returns or its promise settles; a throw marks it failed). */
export function traced<T>(name: string, fn: (span: Span) => T, options: TracedOptions = {}): T {
  return trace.getTracer('jararaca').startActiveSpan(name, { attributes: options.attributes, kind: options.kind }, (span) => {
    let result: T;
    try {
      result = fn(span);
    } catch (err) {
      failed(span, err);
      span.end();
      throw err;
    }
    if (result instanceof Promise) {
      return result.then(
        (value: unknown) => {
          span.end();
          return value;
        },
        (err: unknown) => {
          failed(span, err);
          span.end();
          throw err;
        },
      ) as T;
    }
    span.end();
    return result;
  });
}

/** `@Traced()` on a method: every call is a span named `Class.method` (or `name`). */
export function Traced(name?: string, options: TracedOptions = {}) {
  return function <This, A extends unknown[], R>(method: (this: This, ...args: A) => R, context: ClassMethodDecoratorContext<This, (this: This, ...args: A) => R>) {
    const methodName = String(context.name);
    return function (this: This, ...args: A): R {
      const spanName = name ?? `${(this as { constructor?: { name?: string } })?.constructor?.name ?? 'anonymous'}.${methodName}`;
      return traced(spanName, () => method.apply(this, args), options);
    };
  };
}
