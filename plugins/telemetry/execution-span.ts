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
  /** 'rabbitmq' for the amqp transport, else the transport's kind. */
  readonly messagingSystem: () => string;
}

interface SpanStart {
  name: string;
  kind: SpanKind;
  attributes: Attributes;
  parent: Context;
  links?: Link[];
}

// Read by the HTTP role's 5xx bodies (the error-fields capability), after the execution ended.
const traceIds = new WeakMap<object, string>();

export function traceIdOf(request: object): string | undefined {
  return traceIds.get(request);
}

function errorType(err: unknown): string {
  return (err as { code?: unknown })?.code && typeof (err as { code?: unknown }).code === 'string' ? String((err as { code: string }).code) : ((err as Error)?.name ?? 'Error');
}

function base(execution: Execution): Attributes {
  return { 'jararaca.execution.id': execution.id, 'jararaca.execution.kind': execution.kind, 'jararaca.handler': execution.handler.name };
}

function httpStart(execution: Execution<'http'>, tracing: ExecutionTracing): SpanStart {
  const { request } = execution.details;
  const route = request.routeOptions?.url ?? request.url.split('?')[0];
  const attributes: Attributes = {
    ...base(execution),
    'http.request.method': request.method,
    'http.route': route,
    'url.path': request.url.split('?')[0],
    'url.scheme': request.protocol,
    'network.protocol.version': request.raw.httpVersion,
    'client.address': request.ip,
  };
  const agent = request.headers['user-agent'];
  if (agent) attributes['user_agent.original'] = agent;
  if (tracing.trustIncoming) return { name: `${request.method} ${route}`, kind: SpanKind.SERVER, attributes, parent: extractFrom(request.headers, ROOT_CONTEXT) };
  // A public edge: the caller's trace is not continued (it could force sampling or fake a parent), only linked.
  const link = linkFrom(request.headers);
  return { name: `${request.method} ${route}`, kind: SpanKind.SERVER, attributes, parent: ROOT_CONTEXT, links: link ? [link] : undefined };
}

function messageStart(execution: Execution<'message'>, tracing: ExecutionTracing): SpanStart {
  const message: MessageContext = execution.details.message;
  const attributes: Attributes = {
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
  };
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
    attributes: {
      ...base(execution),
      'jararaca.scheduled.action': d.action,
      'jararaca.scheduled.slot': d.slot.toISOString(),
      'jararaca.scheduled.cron': d.cron,
      'jararaca.scheduled.lag_ms': d.firedAt.getTime() - d.slot.getTime(),
    },
    parent: context.active(),
  };
}

function websocketStart(execution: Execution): SpanStart {
  // The websocket plugin's details, read by name (this plugin does not depend on that one).
  const d = execution.details as { path?: string; event?: string; type?: string; messageId?: string | number; connectionId?: string };
  const attributes: Attributes = { ...base(execution), 'jararaca.websocket.path': d.path ?? '', 'jararaca.websocket.event': d.event ?? '' };
  if (d.connectionId) attributes['jararaca.websocket.connection_id'] = d.connectionId;
  if (d.type) attributes['jararaca.websocket.message_type'] = d.type;
  if (d.messageId !== undefined) attributes['jararaca.websocket.message_id'] = String(d.messageId);
  return { name: `websocket ${d.path ?? ''} ${d.event === 'message' ? (d.type ?? 'message') : (d.event ?? '')}`, kind: SpanKind.SERVER, attributes, parent: context.active() };
}

function startOf(execution: Execution, tracing: ExecutionTracing): SpanStart {
  if (execution.is('http')) return httpStart(execution, tracing);
  if (execution.is('message')) return messageStart(execution, tracing);
  if (execution.is('scheduled')) return scheduledStart(execution);
  if (execution.kind === 'websocket') return websocketStart(execution);
  return { name: execution.handler.name, kind: SpanKind.INTERNAL, attributes: base(execution), parent: context.active() };
}

function traceresponse(span: Span): string {
  const c = span.spanContext();
  return `00-${c.traceId}-${c.spanId}-${(c.traceFlags & 1).toString(16).padStart(2, '0')}`;
}

/** The telemetry plugin's intercept. */
export function traceExecution(tracing: ExecutionTracing): (execution: Execution, next: Next) => Promise<unknown> {
  return async (execution, next) => {
    const start = startOf(execution, tracing);
    const span = tracing.tracer.startSpan(start.name, { kind: start.kind, attributes: start.attributes, links: start.links }, start.parent);
    const active = trace.setSpan(start.parent, span);
    if (execution.is('http')) return traceHttp(execution.details.request, execution.details.reply, span, active, next, tracing);
    try {
      const result = await context.with(active, next);
      return result;
    } catch (err) {
      span.recordException(err as Error);
      span.setAttribute('error.type', errorType(err));
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error)?.message });
      throw err;
    } finally {
      span.end();
    }
  };
}

async function traceHttp(request: FastifyRequest, reply: FastifyReply, span: Span, active: Context, next: Next, tracing: ExecutionTracing): Promise<unknown> {
  traceIds.set(request, span.spanContext().traceId);
  if (tracing.responseHeader) reply.header(tracing.responseHeader, tracing.responseHeader.toLowerCase() === 'traceresponse' ? traceresponse(span) : span.spanContext().traceId);
  let failure: unknown;
  if (span.isRecording()) {
    // The status is the response's, known once it is written (the error handler runs after the execution).
    reply.raw.once('close', () => {
      const status = reply.raw.statusCode;
      span.setAttribute('http.response.status_code', status);
      if (status >= 500) {
        span.setAttribute('error.type', failure === undefined ? String(status) : errorType(failure));
        span.setStatus({ code: SpanStatusCode.ERROR, message: (failure as Error | undefined)?.message });
      }
      span.end();
    });
  }
  try {
    return await context.with(active, next);
  } catch (err) {
    failure = err;
    if (span.isRecording()) span.recordException(err as Error);
    throw err;
  }
}
