// Options of the built-in `websocket` plugin (interceptors: - use: websocket, with: ...).
import type { FromSchema } from 'json-schema-to-ts';

export const optionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    url: {
      description: 'Fan-out backend: memory:// (one process) or redis://[:password@]host:port[/db] (every process of the service).',
      type: 'string',
      pattern: '^(memory://.*|rediss?://.+)$',
      default: 'memory://',
    },
    prefix: {
      description: 'Prefix of the Redis channel, so several services (or test runs) share one Redis. Default: jararaca:<service name>:',
      type: 'string',
      pattern: '^[A-Za-z0-9_.:-]*$',
    },
    maxPayloadBytes: { description: 'Largest frame a client may send; larger closes the connection with 1009.', type: 'integer', minimum: 16, default: 65536 },
    maxConnections: { description: 'Connections per process; more are refused with HTTP 503 before the upgrade.', type: 'integer', minimum: 1, default: 10000 },
    maxBufferedBytes: {
      description: 'Bytes waiting to be written to one client; past this the client is too slow and is closed with 1013.',
      type: 'integer',
      minimum: 1024,
      default: 1048576,
    },
    maxPendingMessages: { description: 'Client messages waiting for their handler on one connection; past this the connection is closed with 1013.', type: 'integer', minimum: 1, default: 64 },
    pingIntervalMs: { description: 'Ping every connection this often; one that missed the previous pong is terminated.', type: 'integer', minimum: 50, default: 30000 },
    connectTimeoutMs: { description: 'How long start-up waits for Redis before failing.', type: 'integer', minimum: 100, default: 10000 },
    reconnectMaxDelayMs: { description: 'Upper bound of the Redis reconnect backoff (it starts at 100 ms and doubles).', type: 'integer', minimum: 100, default: 5000 },
    outageBuffer: {
      description: 'Sends made while the backend is unavailable wait in this process, in order, and are delivered when it returns; past these bounds they are dropped and counted (JRR_WS_DROPPED).',
      type: 'object',
      additionalProperties: false,
      properties: {
        maxMessages: { description: 'Operations (sends, joins, leaves) kept at most; 0 turns the buffer off (drop at once).', type: 'integer', minimum: 0, default: 10000 },
        maxAgeMs: { description: 'Longest an operation waits; older ones are dropped.', type: 'integer', minimum: 100, default: 30000 },
      },
    },
  },
} as const;

export type WebSocketOptions = FromSchema<typeof optionsSchema>;

/** Options with defaults filled in (the host validates with useDefaults, but be explicit). */
export interface ResolvedOptions {
  url: string;
  prefix: string;
  maxPayloadBytes: number;
  maxConnections: number;
  maxBufferedBytes: number;
  maxPendingMessages: number;
  pingIntervalMs: number;
  connectTimeoutMs: number;
  reconnectMaxDelayMs: number;
  outageBuffer: { maxMessages: number; maxAgeMs: number };
}

export function resolveOptions(options: WebSocketOptions, serviceName: string): ResolvedOptions {
  return {
    url: options.url ?? 'memory://',
    prefix: options.prefix ?? `jararaca:${serviceName}:`,
    maxPayloadBytes: options.maxPayloadBytes ?? 65536,
    maxConnections: options.maxConnections ?? 10000,
    maxBufferedBytes: options.maxBufferedBytes ?? 1048576,
    maxPendingMessages: options.maxPendingMessages ?? 64,
    pingIntervalMs: options.pingIntervalMs ?? 30000,
    connectTimeoutMs: options.connectTimeoutMs ?? 10000,
    reconnectMaxDelayMs: options.reconnectMaxDelayMs ?? 5000,
    outageBuffer: { maxMessages: options.outageBuffer?.maxMessages ?? 10000, maxAgeMs: options.outageBuffer?.maxAgeMs ?? 30000 },
  };
}
