// The telemetry plugin's options: service.yaml first, then the standard OTEL_* environment
// variables for what it leaves out (as the OpenTelemetry SDKs do: code over environment), then
// the SDK's defaults. Pure, so it is tested without an SDK.
import { JararacaError } from 'jararaca';

export const PROTOCOLS = ['http/protobuf', 'http/json', 'none'] as const;
export const SAMPLERS = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'] as const;

export const optionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    exporter: {
      type: 'object',
      additionalProperties: false,
      properties: {
        endpoint: { type: 'string', pattern: '^https?://', description: 'OTLP/HTTP base URL (http://collector:4318; /v1/traces is appended unless the path already ends with it). Default: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, OTEL_EXPORTER_OTLP_ENDPOINT, else http://localhost:4318.' },
        protocol: { enum: [...PROTOCOLS], description: 'http/protobuf (default), http/json, or none (spans are made but not exported). Default: OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, OTEL_EXPORTER_OTLP_PROTOCOL.' },
        headers: { type: 'object', additionalProperties: { type: 'string' }, description: 'Headers sent with every export (an API key). Default: OTEL_EXPORTER_OTLP_HEADERS.' },
      },
    },
    sampler: {
      type: 'object',
      additionalProperties: false,
      properties: {
        type: { enum: [...SAMPLERS], description: 'Default: OTEL_TRACES_SAMPLER, else parentbased_always_on.' },
        ratio: { type: 'number', minimum: 0, maximum: 1, description: 'For the *traceidratio samplers: the share of new traces recorded. Default: OTEL_TRACES_SAMPLER_ARG, else 1.' },
      },
    },
    resource: { type: 'object', additionalProperties: { type: ['string', 'number', 'boolean'] }, description: 'Resource attributes (deployment.environment.name, service.version...), over OTEL_RESOURCE_ATTRIBUTES; service.name is the service name (OTEL_SERVICE_NAME overrides it).' },
    http: {
      type: 'object',
      additionalProperties: false,
      properties: {
        trustIncoming: { type: 'boolean', default: true, description: "Continue the trace of an incoming traceparent header. false at a public edge: a new trace, linked to the caller's." },
        responseHeader: { anyOf: [{ type: 'string', pattern: '^[A-Za-z0-9-]+$' }, { const: false }], default: 'traceresponse', description: "Response header with the trace: 'traceresponse' (W3C draft format 00-trace-span-flags), any other name (the trace id alone), or false." },
      },
    },
    instrumentations: {
      type: 'object',
      additionalProperties: false,
      properties: {
        pg: { type: 'boolean', default: true, description: 'A span per PostgreSQL query (@opentelemetry/instrumentation-pg), inside executions only.' },
        knex: { type: 'boolean', default: false, description: 'A span per knex query (@opentelemetry/instrumentation-knex); with pg on, each query is two spans.' },
        amqplib: { type: 'boolean', default: false, description: "amqplib's own publish and consume spans (@opentelemetry/instrumentation-amqplib). Off: the plugin's own messaging spans carry the staging execution's context through the outbox, which amqplib's cannot." },
      },
    },
  },
} as const;

export interface TelemetryOptions {
  exporter?: { endpoint?: string; protocol?: (typeof PROTOCOLS)[number]; headers?: Record<string, string> };
  sampler?: { type?: (typeof SAMPLERS)[number]; ratio?: number };
  resource?: Record<string, string | number | boolean>;
  http?: { trustIncoming?: boolean; responseHeader?: string | false };
  instrumentations?: { pg?: boolean; knex?: boolean; amqplib?: boolean };
}

export interface TelemetrySettings {
  /** false when OTEL_SDK_DISABLED=true: the plugin does nothing. */
  enabled: boolean;
  url: string;
  protocol: (typeof PROTOCOLS)[number];
  headers?: Record<string, string>;
  sampler: (typeof SAMPLERS)[number];
  ratio: number;
  /** From OTEL_RESOURCE_ATTRIBUTES, OTEL_SERVICE_NAME and service.yaml, in that order. */
  resource: Record<string, string | number | boolean>;
  trustIncoming: boolean;
  responseHeader: string | false;
  instrumentations: { pg: boolean; knex: boolean; amqplib: boolean };
}

type Env = Readonly<Record<string, string | undefined>>;

function configError(message: string): JararacaError {
  return new JararacaError('JRR_TELEMETRY_CONFIG', message);
}

function oneOf<T extends string>(value: string, allowed: readonly T[], name: string): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw configError(`${name}=${value} is not supported: use one of ${allowed.join(', ')}`);
}

/** Key=value pairs, comma-separated, values percent-encoded (OTEL_RESOURCE_ATTRIBUTES, OTEL_EXPORTER_OTLP_HEADERS). */
export function parsePairs(text: string | undefined): Record<string, string> {
  const pairs: Record<string, string> = {};
  for (const part of (text ?? '').split(',')) {
    const at = part.indexOf('=');
    if (at <= 0) continue;
    try {
      pairs[decodeURIComponent(part.slice(0, at).trim())] = decodeURIComponent(part.slice(at + 1).trim());
    } catch {
      pairs[part.slice(0, at).trim()] = part.slice(at + 1).trim();
    }
  }
  return pairs;
}

export function tracesUrl(base: string): string {
  return /\/v1\/traces\/?$/.test(base) ? base : `${base.replace(/\/+$/, '')}/v1/traces`;
}

export function resolveSettings(options: TelemetryOptions, serviceName: string, env: Env = process.env): TelemetrySettings {
  const envProtocol = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL;
  const exporterNone = env.OTEL_TRACES_EXPORTER?.trim() === 'none';
  const protocol = options.exporter?.protocol ?? (exporterNone ? 'none' : envProtocol ? oneOf(envProtocol.trim(), PROTOCOLS, 'OTEL_EXPORTER_OTLP_PROTOCOL') : 'http/protobuf');
  const url = options.exporter?.endpoint
    ? tracesUrl(options.exporter.endpoint)
    : env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || tracesUrl(env.OTEL_EXPORTER_OTLP_ENDPOINT || 'http://localhost:4318');
  const envHeaders = env.OTEL_EXPORTER_OTLP_TRACES_HEADERS ?? env.OTEL_EXPORTER_OTLP_HEADERS;
  const headers = options.exporter?.headers ?? (envHeaders ? parsePairs(envHeaders) : undefined);
  const sampler = options.sampler?.type ?? (env.OTEL_TRACES_SAMPLER ? oneOf(env.OTEL_TRACES_SAMPLER.trim(), SAMPLERS, 'OTEL_TRACES_SAMPLER') : 'parentbased_always_on');
  let ratio = options.sampler?.ratio;
  if (ratio === undefined && env.OTEL_TRACES_SAMPLER_ARG) {
    ratio = Number(env.OTEL_TRACES_SAMPLER_ARG);
    if (!(ratio >= 0 && ratio <= 1)) throw configError(`OTEL_TRACES_SAMPLER_ARG=${env.OTEL_TRACES_SAMPLER_ARG} must be a number from 0 to 1`);
  }
  const resource: Record<string, string | number | boolean> = { 'service.name': serviceName, ...parsePairs(env.OTEL_RESOURCE_ATTRIBUTES) };
  if (env.OTEL_SERVICE_NAME) resource['service.name'] = env.OTEL_SERVICE_NAME;
  Object.assign(resource, options.resource);
  return {
    enabled: env.OTEL_SDK_DISABLED?.trim().toLowerCase() !== 'true',
    url,
    protocol,
    headers,
    sampler,
    ratio: ratio ?? 1,
    resource,
    trustIncoming: options.http?.trustIncoming ?? true,
    responseHeader: options.http?.responseHeader ?? 'traceresponse',
    instrumentations: { pg: options.instrumentations?.pg ?? true, knex: options.instrumentations?.knex ?? false, amqplib: options.instrumentations?.amqplib ?? false },
  };
}
