// The built-in `websocket` plugin: wires the backend, the HTTP side and the staging interceptor.
import { definePlugin, tracingChannel, type WsSendEvent } from 'jararaca';
import { wsAsyncApi } from './asyncapi.ts';
import type { WsBackend, WsOp, WsPacket } from './backend.ts';
import { memoryBackend } from './backend-memory.ts';
import { redisBackend } from './backend-redis.ts';
import { ConnectionRegistry } from './connection.ts';
import { WS_KIND } from './decorators.ts';
import { buildEndpoints } from './endpoints.ts';
import { StagedWsManager, useWsManager } from './manager.ts';
import { optionsSchema, resolveOptions } from './options.ts';
import { OutageBuffer } from './outage-buffer.ts';
import { WebSocketServer } from './server.ts';

// An execution's sends leaving this process, for observability plugins (one event per flush).
const sends = tracingChannel('jararaca:websocket:send');
const METHOD: Partial<Record<WsOp['op'], WsSendEvent['method']>> = { broadcast: 'broadcast', rooms: 'send', to: 'sendTo' };

function sendEvent(ops: readonly WsOp[]): WsSendEvent | undefined {
  const frames = ops.filter((op) => METHOD[op.op]);
  return frames.length ? { method: METHOD[frames[0].op]!, frames: frames.length } : undefined;
}

export default definePlugin({
  name: 'websocket',
  options: optionsSchema,
  setup(ctx) {
    const options = resolveOptions(ctx.options, ctx.service.name);
    const logger = ctx.logger;
    const backend: WsBackend = options.url.startsWith('memory:')
      ? memoryBackend(options.prefix)
      : redisBackend({ url: options.url, prefix: options.prefix, connectTimeoutMs: options.connectTimeoutMs, reconnectMaxDelayMs: options.reconnectMaxDelayMs, logger });
    const endpoints = buildEndpoints(ctx.handlers.ofKind(WS_KIND));
    const registry = new ConnectionRegistry();
    const serves = ctx.roles.has('http') && endpoints.length > 0;
    const server = serves ? new WebSocketServer(ctx, options, endpoints, registry, logger) : undefined;
    const buffer = new OutageBuffer(backend, options.outageBuffer, logger);

    return {
      serves: [WS_KIND],
      // 'websocket.connections': this process's connections per endpoint and room sizes (the console's WebSocket page).
      provides: { 'websocket.connections': () => connectionsSnapshot(registry, endpoints.map((e) => e.path)) },
      async start() {
        if (backend.description === 'memory://' && !ctx.roles.has('http')) {
          logger.warn('websocket backend is memory://: messages sent from this process reach no client (clients connect to HTTP processes). Use redis:// to reach them.');
        }
        await backend.start(server ? (packet: WsPacket) => server.deliver(packet) : undefined);
        logger.info({ backend: backend.description, endpoints: endpoints.map((e) => e.path), serving: Boolean(server) }, 'websocket plugin started');
      },
      async stop() {
        await server?.drain();
        buffer.stop();
        await backend.stop();
      },
      health: () => backend.health(),
      http: server ? (app) => server.register(app) : undefined,
      async intercept(execution, next) {
        const manager = new StagedWsManager();
        useWsManager.provide(execution, manager);
        let result: unknown;
        try {
          result = await next();
        } catch (err) {
          manager.take(); // failed: what was staged is dropped
          throw err;
        }
        const ops = manager.take();
        if (ops.length === 0) return result;
        // The execution's work is done (committed); failing it now would make the client retry
        // work that succeeded. While the backend is down the packet waits in the outage buffer
        // (in order, bounded; dropped and counted past the bound). Room changes for this
        // process's own connections apply at once, so a client that joined during the outage is
        // in its room when the buffered sends arrive.
        const event = sends.hasSubscribers ? sendEvent(ops) : undefined;
        const outcome = event ? await sends.tracePromise(() => buffer.send({ ops }), event) : await buffer.send({ ops });
        if (outcome !== 'sent') server?.deliver({ ops: ops.filter((op) => op.op === 'join' || op.op === 'leave') });
        return result;
      },
      asyncapi: () => wsAsyncApi(endpoints),
      describe: () => [
        `websocket backend: ${backend.description} (channel ${options.prefix}ws)`,
        ...endpoints.map((e) => `websocket ${e.path} → ${[...e.controllers].join(', ')} (messages: ${[...e.messages.keys()].join(', ') || 'none'})`),
      ],
    };
  },
});

function connectionsSnapshot(registry: ConnectionRegistry, paths: readonly string[]): { endpoints: Record<string, number>; rooms: Record<string, number> } {
  const endpoints: Record<string, number> = Object.fromEntries(paths.map((p) => [p, 0]));
  const rooms: Record<string, number> = {};
  for (const c of registry.all()) {
    endpoints[c.path] = (endpoints[c.path] ?? 0) + 1;
    for (const room of c.rooms) rooms[room] = (rooms[room] ?? 0) + 1;
  }
  return { endpoints, rooms };
}
