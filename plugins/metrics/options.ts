// The `metrics` plugin's options (service.yaml `with:`), validated by the host with line and column.
import type { FromSchema } from 'json-schema-to-ts';

export const optionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    path: { type: 'string', pattern: '^/', default: '/metrics', description: 'Where the Prometheus exposition is served: on the HTTP port, on the worker\'s and scheduler\'s health ports, and on `port`.' },
    http: { type: 'boolean', default: true, description: 'Serve `path` on the HTTP role\'s port.' },
    health: { type: 'boolean', default: true, description: 'Serve `path` on the stand-alone health port of the worker and scheduler roles.' },
    port: { type: 'integer', minimum: 0, maximum: 65535, description: 'Also serve `path` on a port of its own (any role; 0 picks a free one). Off unless set.' },
    host: { type: 'string', default: '0.0.0.0', description: 'Interface of `port`.' },
    process: { type: 'boolean', default: true, description: 'Process and Node.js runtime metrics (CPU, memory, heap, event-loop delay).' },
    otlp: {
      description: 'Also push the metrics over OTLP/HTTP (JSON). `true` reads OTEL_EXPORTER_OTLP_METRICS_ENDPOINT / OTEL_EXPORTER_OTLP_ENDPOINT; OTEL_METRICS_EXPORTER=otlp turns it on when not set here.',
      anyOf: [
        { type: 'boolean' },
        {
          type: 'object',
          additionalProperties: false,
          properties: {
            endpoint: { type: 'string', pattern: '^https?://', description: 'The collector\'s metrics URL, e.g. http://otel-collector:4318/v1/metrics.' },
            intervalMs: { type: 'integer', minimum: 1000, default: 60000, description: 'How often the metrics are pushed.' },
            headers: { type: 'object', additionalProperties: { type: 'string' }, description: 'Extra request headers (an API key).' },
          },
        },
      ],
    },
  },
} as const;

export type MetricsOptions = FromSchema<typeof optionsSchema>;
