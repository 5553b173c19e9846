// One root span per execution, named and attributed by its kind (HTTP server, messaging consumer,
// scheduled run, WebSocket message), the execution running inside it. Its outcome is the span's
// status; for HTTP the status code, known once the response is written, decides (5xx = error).
import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Link, type Span, type Tracer } from '@opentelemetry/api';
import type { Execution, FastifyReply, FastifyRequest, MessageContext, Next, ScheduledDetails } from 'jararaca';
import { extractFrom, linkFrom } from './propagation.ts';

export interface ExecutionTracing {
  readonly tracer: Tracer;
  readonly trustIncoming: boolean;
  readonly responseHeader: string | false;
  /** responseHeader is 'traceresponse' (any case): the W3C format rather than the bare trace id. */
  readonly responseHeaderIsTraceresponse: boolean;
  /** 'rabbitmq' for the amqp transport, else the transport's kind. */
  readonly messagingSystem: () => string;
}

// What an execution's root span starts with. The attributes are built only for a span that is
// recorded: an unsampled execution (most of them at a low ratio) costs a trace id and a context.
// The samplers offered (always, ratio, parent-based) decide without attributes.
interface SpanStart {
  name: string;
  kind: SpanKind;
  parent: Context;
  links?: Link[];
  attributes(): Attributes;
}

// Read by the HTTP role's 5xx bodies (the error-fields capability), after the execution ended: a
// property of the request (one shape change, the same for every request) rather than a WeakMap entry per request.
const TRACE_ID = Symbol('jararaca.telemetry.traceId');

export function traceIdOf(request: object): string | undefined {
  return (request as { [TRACE_ID]?: string })[TRACE_ID];
}

function errorType(err: unknown): string {
  return (err as { code?: unknown })?.code && typeof (err as { code?: unknown }).code === 'string' ? String((err as { code: string }).code) : ((err as Error)?.name ?? 'Error');
}

function base(execution: Execution): Attributes {
  return { 'jararaca.execution.id': execution.id, 'jararaca.execution.kind': execution.kind, 'jararaca.handler': execution.handler.name };
}

// A route's template and its span names by method, found once per handler (Fastify's
// routeOptions builds an object per read).
interface RouteNames {
  route: string;
  byMethod: Map<string, string>;
}
const routes = new WeakMap<object, RouteNames>();

function routeOf(execution: Execution<'http'>): RouteNames {
  let names = routes.get(execution.handler);
  if (!names) {
    const { request } = execution.details;
    names = { route: request.routeOptions?.url ?? request.url.split('?')[0], byMethod: new Map() };
    routes.set(execution.handler, names);
  }
  return names;
}

function httpStart(execution: Execution<'http'>, tracing: ExecutionTracing): SpanStart {
  const { request } = execution.details;
  const names = routeOf(execution);
  const { route } = names;
  let name = names.byMethod.get(request.method);
  if (name === undefined) names.byMethod.set(request.method, (name = `${request.method} ${route}`));
  const attributes = (): Attributes => {
    const query = request.url.indexOf('?');
    const attrs: Attributes = {
      'jararaca.execution.id': execution.id,
      'jararaca.execution.kind': execution.kind,
      'jararaca.handler': execution.handler.name,
      'http.request.method': request.method,
      'http.route': route,
      'url.path': query < 0 ? request.url : request.url.slice(0, query),
      'url.scheme': request.protocol,
      'network.protocol.version': request.raw.httpVersion,
      'client.address': request.ip,
    };
    const agent = request.headers['user-agent'];
    if (agent) attrs['user_agent.original'] = agent;
    return attrs;
  };
  const headers = request.headers;
  if (tracing.trustIncoming) return { name, kind: SpanKind.SERVER, attributes, parent: extractFrom(headers, ROOT_CONTEXT) };
  // A public edge: the caller's trace is not continued (it could force sampling or fake a parent), only linked.
  const link = linkFrom(headers);
  return { name, kind: SpanKind.SERVER, attributes, parent: ROOT_CONTEXT, links: link ? [link] : undefined };
}

function messageStart(execution: Execution<'message'>, tracing: ExecutionTracing): SpanStart {
  const message: MessageContext = execution.details.message;
  const attributes = (): Attributes => ({
    ...base(execution),
    'messaging.system': tracing.messagingSystem(),
    'messaging.operation.type': 'process',
    'messaging.operation.name': 'process',
    'messaging.destination.name': message.queue,
    'messaging.rabbitmq.destination.routing_key': message.topic,
    'messaging.message.id': message.id,
    'jararaca.message.name': message.name,
    'jararaca.message.attempt': message.attempt,
    'jararaca.message.max_attempts': message.maxAttempts,
    'jararaca.message.redelivered': message.redelivered,
  });
  const name = `process ${message.name}`;
  if (execution.handler.spec.message.trace === 'link') {
    const link = linkFrom(message.headers);
    // A trace of its own: not the active context, which an in-process transport carries over from the publisher.
    return { name, kind: SpanKind.CONSUMER, attributes, parent: ROOT_CONTEXT, links: link ? [link] : undefined };
  }
  return { name, kind: SpanKind.CONSUMER, attributes, parent: extractFrom(message.headers) };
}

function scheduledStart(execution: Execution<'scheduled'>): SpanStart {
  const d: ScheduledDetails = execution.details;
  return {
    name: `scheduled ${d.action}`,
    kind: SpanKind.INTERNAL,
    attributes: () => ({
      ...base(execution),
      'jararaca.scheduled.action': d.action,
      'jararaca.scheduled.slot': d.slot.toISOString(),
      'jararaca.scheduled.cron': d.cron,
      'jararaca.scheduled.lag_ms': d.firedAt.getTime() - d.slot.getTime(),
    }),
    parent: context.active(),
  };
}

function websocketStart(execution: Execution): SpanStart {
  // The websocket plugin's details, read by name (this plugin does not depend on that one).
  const d = execution.details as { path?: string; event?: string; type?: string; messageId?: string | number; connectionId?: string };
  const attributes = (): Attributes => {
    const attrs: Attributes = { ...base(execution), 'jararaca.websocket.path': d.path ?? '', 'jararaca.websocket.event': d.event ?? '' };
    if (d.connectionId) attrs['jararaca.websocket.connection_id'] = d.connectionId;
    if (d.type) attrs['jararaca.websocket.message_type'] = d.type;
    if (d.messageId !== undefined) attrs['jararaca.websocket.message_id'] = String(d.messageId);
    return attrs;
  };
  return { name: `websocket ${d.path ?? ''} ${d.event === 'message' ? (d.type ?? 'message') : (d.event ?? '')}`, kind: SpanKind.SERVER, attributes, parent: context.active() };
}

function startOf(execution: Execution, tracing: ExecutionTracing): SpanStart {
  if (execution.is('http')) return httpStart(execution, tracing);
  if (execution.is('message')) return messageStart(execution, tracing);
  if (execution.is('scheduled')) return scheduledStart(execution);
  if (execution.kind === 'websocket') return websocketStart(execution);
  return { name: execution.handler.name, kind: SpanKind.INTERNAL, attributes: () => base(execution), parent: context.active() };
}

function traceresponse(span: Span): string {
  const c = span.spanContext();
  return `00-${c.traceId}-${c.spanId}-${c.traceFlags & 1 ? '01' : '00'}`;
}

/** Starts the root span: attributes only when it is recorded. */
function startRoot(tracer: Tracer, start: SpanStart): Span {
  const span = tracer.startSpan(start.name, { kind: start.kind, links: start.links }, start.parent);
  if (span.isRecording()) span.setAttributes(start.attributes());
  return span;
}

/** `next` in the span's context; a layer inside that throws instead of rejecting is a rejection too. */
function runIn(active: Context, next: Next): Promise<unknown> {
  try {
    return context.with(active, next);
  } catch (err) {
    return Promise.reject(err);
  }
}

/** The telemetry plugin's intercept (not async: one promise fewer per execution). */
export function traceExecution(tracing: ExecutionTracing): (execution: Execution, next: Next) => Promise<unknown> {
  return (execution, next) => {
    const start = startOf(execution, tracing);
    const span = startRoot(tracing.tracer, start);
    const active = trace.setSpan(start.parent, span);
    if (execution.is('http')) return traceHttp(execution.details.request, execution.details.reply, span, active, next, tracing);
    return runIn(active, next).then(
      (result) => {
        span.end();
        return result;
      },
      (err: unknown) => {
        span.recordException(err as Error);
        span.setAttribute('error.type', errorType(err));
        span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error)?.message });
        span.end();
        throw err;
      },
    );
  };
}

function traceHttp(request: FastifyRequest, reply: FastifyReply, span: Span, active: Context, next: Next, tracing: ExecutionTracing): Promise<unknown> {
  (request as { [TRACE_ID]?: string })[TRACE_ID] = span.spanContext().traceId;
  if (tracing.responseHeader) reply.header(tracing.responseHeader, tracing.responseHeaderIsTraceresponse ? traceresponse(span) : span.spanContext().traceId);
  const result = runIn(active, next);
  // Unsampled: nothing to record or end.
  if (!span.isRecording()) return result;
  let failure: unknown;
  // The status is the response's, known once it is written (the error handler runs after the
  // execution). 'close' comes once per response.
  reply.raw.on('close', () => {
    const status = reply.raw.statusCode;
    span.setAttribute('http.response.status_code', status);
    if (status >= 500) {
      span.setAttribute('error.type', failure === undefined ? String(status) : errorType(failure));
      span.setStatus({ code: SpanStatusCode.ERROR, message: (failure as Error | undefined)?.message });
    }
    span.end();
  });
  return result.catch((err: unknown) => {
    failure = err;
    span.recordException(err as Error);
    throw err;
  });
}
