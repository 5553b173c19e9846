// redis://: mqemitter-redis over two ioredis connections. Both reconnect with exponential
// backoff. The publishing connection has no offline queue: during an outage publish() fails at
// once (the plugin drops the packet with a warning) instead of piling up or blocking requests.
// The subscribing connection re-subscribes by itself; health stays "not ready" until that is done.
import type { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import type { Redis } from 'ioredis';
import { JararacaError, redactUrl } from 'jararaca';
import type { Logger } from 'pino';
import { channelName, subscribePackets, type WsBackend, type WsPacket } from './backend.ts';

export interface RedisBackendOptions {
  url: string;
  prefix: string;
  connectTimeoutMs: number;
  reconnectMaxDelayMs: number;
  logger: Logger;
}

export class WsBackendUnavailableError extends JararacaError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('JRR_WS_BACKEND_UNAVAILABLE', message, options);
  }
}

export function redisBackend(options: RedisBackendOptions): WsBackend {
  const description = redactUrl(options.url);
  const topic = channelName(options.prefix);
  const { logger } = options;
  const retryStrategy = (times: number) => Math.min(100 * 2 ** Math.min(times - 1, 10), options.reconnectMaxDelayMs);
  const common = { retryStrategy, connectionName: `jararaca-ws`, lazyConnect: true } as const;
  // Required when a redis:// backend is made: memory:// (a test, the example) never loads ioredis.
  const require = createRequire(import.meta.url);
  const { Redis } = require('ioredis') as typeof import('ioredis');
  const MQEmitterRedis = require('mqemitter-redis') as typeof import('mqemitter-redis');
  const pub = new Redis(options.url, { ...common, enableOfflineQueue: false, maxRetriesPerRequest: 0 });
  const sub = new Redis(options.url, { ...common, enableOfflineQueue: true, maxRetriesPerRequest: null, autoResubscribe: true });
  const emitter = MQEmitterRedis({ pubConn: pub, subConn: sub });

  let subscribing = false;
  let subscribed = false;
  let lastError: string | undefined;
  let outage = false;
  let stopping = false;

  (emitter as unknown as { state: EventEmitter }).state.on('error', (err: Error) => {
    if (stopping) return;
    lastError = err.message;
    if (!outage) logger.warn({ backend: description, err: err.message }, 'websocket backend: Redis error; reconnecting with backoff');
    outage = true;
  });
  sub.on('close', () => {
    subscribed = false;
  });
  // After a reconnect ioredis re-sends SUBSCRIBE first; a PING answered after it proves we are
  // subscribed again.
  sub.on('ready', () => {
    if (!subscribing) return;
    sub.ping().then(
      () => {
        subscribed = true;
        if (outage && pub.status === 'ready') restored();
      },
      () => undefined,
    );
  });
  pub.on('ready', () => {
    if (outage && (!subscribing || subscribed)) restored();
  });
  const restored = () => {
    outage = false;
    lastError = undefined;
    logger.info({ backend: description }, 'websocket backend: Redis connection restored');
  };

  const withTimeout = <T>(promise: Promise<T>, what: string): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new WsBackendUnavailableError(`websocket backend: ${what} at ${description} did not succeed within ${options.connectTimeoutMs} ms (${lastError ?? 'no answer'}). Start Redis, or fix interceptors[websocket].with.url.`)),
        options.connectTimeoutMs,
      );
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
  };

  const disconnect = () => {
    pub.disconnect();
    sub.disconnect();
  };

  return {
    description,
    async start(onPacket) {
      try {
        await withTimeout(pub.connect(), 'connecting to Redis');
        if (onPacket) {
          subscribing = true;
          await withTimeout(sub.connect(), 'connecting to Redis');
          await withTimeout(
            subscribePackets(emitter, topic, onPacket),
            `subscribing to ${topic}`,
          );
          subscribed = true;
        }
      } catch (err) {
        disconnect();
        throw err instanceof WsBackendUnavailableError ? err : new WsBackendUnavailableError(`websocket backend: cannot use Redis at ${description}: ${(err as Error).message}`, { cause: err });
      }
    },
    publish(packet) {
      if (pub.status !== 'ready') return Promise.reject(new WsBackendUnavailableError(`websocket backend: Redis at ${description} is unreachable (${lastError ?? pub.status})`));
      return new Promise((resolve, reject) =>
        emitter.emit({ topic, ops: packet.ops }, (err) => (err ? reject(new WsBackendUnavailableError(`websocket backend: publishing to Redis at ${description} failed: ${err.message}`, { cause: err })) : resolve())),
      );
    },
    health() {
      if (pub.status !== 'ready') return { ready: false, detail: `websocket backend: Redis at ${description} unreachable (${lastError ?? pub.status}); reconnecting` };
      if (subscribing && !subscribed) return { ready: false, detail: `websocket backend: re-subscribing to Redis at ${description}` };
      return { ready: true };
    },
    async stop() {
      stopping = true;
      // quit() lets Redis answer what is in flight; during an outage it would never answer.
      const quit = (c: Redis) => (c.status === 'ready' ? c.quit().then(() => undefined, () => undefined) : Promise.resolve());
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.all([quit(pub), quit(sub)]), new Promise<void>((resolve) => (timer = setTimeout(resolve, 2000)))]);
      clearTimeout(timer);
      disconnect();
    },
  };
}
