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
// The samplers offered (always, ratio, parent-based) decide without attributes. `attributes` is
// a function of the module, not a closure per execution.
interface SpanStart {
  name: string;
  kind: SpanKind;
  parent: Context;
  links?: Link[];
  attributes(execution: Execution, tracing: ExecutionTracing): Attributes;
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

function baseAttributes(execution: Execution): Attributes {
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

function httpAttributes(execution: Execution): Attributes {
  const { request } = (execution as Execution<'http'>).details;
  const query = request.url.indexOf('?');
  const attributes: Attributes = {
    'jararaca.execution.id': execution.id,
    'jararaca.execution.kind': execution.kind,
    'jararaca.handler': execution.handler.name,
    'http.request.method': request.method,
    'http.route': routeOf(execution as Execution<'http'>).route,
    'url.path': query < 0 ? request.url : request.url.slice(0, query),
    'url.scheme': request.protocol,
    'network.protocol.version': request.raw.httpVersion,
    'client.address': request.ip,
  };
  const agent = request.headers['user-agent'];
  if (agent) attributes['user_agent.original'] = agent;
  return attributes;
}

function httpStart(execution: Execution<'http'>, tracing: ExecutionTracing): SpanStart {
  const { request } = execution.details;
  const names = routeOf(execution);
  let name = names.byMethod.get(request.method);
  if (name === undefined) names.byMethod.set(request.method, (name = `${request.method} ${names.route}`));
  const headers = request.headers;
  if (tracing.trustIncoming) return { name, kind: SpanKind.SERVER, attributes: httpAttributes, parent: extractFrom(headers, ROOT_CONTEXT) };
  // A public edge: the caller's trace is not continued (it could force sampling or fake a parent), only linked.
  const link = linkFrom(headers);
  return { name, kind: SpanKind.SERVER, attributes: httpAttributes, parent: ROOT_CONTEXT, links: link ? [link] : undefined };
}

function messageAttributes(execution: Execution, tracing: ExecutionTracing): Attributes {
  const message: MessageContext = (execution as Execution<'message'>).details.message;
  return {
    'jararaca.execution.id': execution.id,
    'jararaca.execution.kind': execution.kind,
    'jararaca.handler': execution.handler.name,
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
  };
}

// Span names by message name, made once.
const processNames = new Map<string, string>();

function messageStart(execution: Execution<'message'>): SpanStart {
  const message: MessageContext = execution.details.message;
  let name = processNames.get(message.name);
  if (name === undefined) processNames.set(message.name, (name = `process ${message.name}`));
  if (execution.handler.spec.message.trace === 'link') {
    const link = linkFrom(message.headers);
    // A trace of its own: not the active context, which an in-process transport carries over from the publisher.
    return { name, kind: SpanKind.CONSUMER, attributes: messageAttributes, parent: ROOT_CONTEXT, links: link ? [link] : undefined };
  }
  return { name, kind: SpanKind.CONSUMER, attributes: messageAttributes, parent: extractFrom(message.headers) };
}

function scheduledAttributes(execution: Execution): Attributes {
  const d: ScheduledDetails = (execution as Execution<'scheduled'>).details;
  return {
    ...baseAttributes(execution),
    'jararaca.scheduled.action': d.action,
    'jararaca.scheduled.slot': d.slot.toISOString(),
    'jararaca.scheduled.cron': d.cron,
    'jararaca.scheduled.lag_ms': d.firedAt.getTime() - d.slot.getTime(),
  };
}

// The websocket plugin's details, read by name (this plugin does not depend on that one).
type WebSocketDetails = { path?: string; event?: string; type?: string; messageId?: string | number; connectionId?: string };

function websocketAttributes(execution: Execution): Attributes {
  const d = execution.details as WebSocketDetails;
  const attributes: Attributes = { ...baseAttributes(execution), 'jararaca.websocket.path': d.path ?? '', 'jararaca.websocket.event': d.event ?? '' };
  if (d.connectionId) attributes['jararaca.websocket.connection_id'] = d.connectionId;
  if (d.type) attributes['jararaca.websocket.message_type'] = d.type;
  if (d.messageId !== undefined) attributes['jararaca.websocket.message_id'] = String(d.messageId);
  return attributes;
}

function websocketStart(execution: Execution): SpanStart {
  const d = execution.details as WebSocketDetails;
  return { name: `websocket ${d.path ?? ''} ${d.event === 'message' ? (d.type ?? 'message') : (d.event ?? '')}`, kind: SpanKind.SERVER, attributes: websocketAttributes, parent: context.active() };
}

function startOf(execution: Execution, tracing: ExecutionTracing): SpanStart {
  if (execution.is('http')) return httpStart(execution, tracing);
  if (execution.is('message')) return messageStart(execution);
  if (execution.is('scheduled')) return { name: `scheduled ${execution.details.action}`, kind: SpanKind.INTERNAL, attributes: scheduledAttributes, parent: context.active() };
  if (execution.kind === 'websocket') return websocketStart(execution);
  return { name: execution.handler.name, kind: SpanKind.INTERNAL, attributes: baseAttributes, parent: context.active() };
}

function traceresponse(span: Span): string {
  const c = span.spanContext();
  return `00-${c.traceId}-${c.spanId}-${c.traceFlags & 1 ? '01' : '00'}`;
}

/** Starts the root span: attributes only when it is recorded. */
function startRoot(execution: Execution, tracing: ExecutionTracing, start: SpanStart): Span {
  const span = tracing.tracer.startSpan(start.name, { kind: start.kind, links: start.links }, start.parent);
  if (span.isRecording()) span.setAttributes(start.attributes(execution, tracing));
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
    const span = startRoot(execution, tracing, start);
    const active = trace.setSpan(start.parent, span);
    if (execution.is('http')) return traceHttp(execution.details.request, execution.details.reply, span, active, next, tracing);
    // Unsampled: nothing to record or end.
    if (!span.isRecording()) return runIn(active, next);
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
