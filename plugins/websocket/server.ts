// The HTTP role's side: @fastify/websocket routes for the endpoints, each connection's life
// (connect → messages → close, every step one execution), keep-alive pings, and delivery of
// the backend's packets to this process's connections.
import { randomUUID } from 'node:crypto';
import fastifyWebsocket from '@fastify/websocket';
import type { FastifyBaseLogger, FastifyInstance, FastifyRequest } from 'fastify';
import { ClientGoneAbort, drain, HttpError, mappedError, RepeatedLog, ShutdownAbort, type ErrorCode, type Execution, type HandlerInfo, type PluginContext } from 'jararaca';
import type { RawData, WebSocket } from 'ws';
import type { WsPacket } from './backend.ts';
import { LocalConnection, wsEvents, type ConnectionRegistry } from './connection.ts';
import { WS_KIND, type WsEventDetails } from './decorators.ts';
import type { Endpoint } from './endpoints.ts';
import { encodeFrame, encodeMessage, frameBytes, type WsOutgoing } from './manager.ts';
import { WsClose, WsError, type WsMessage } from './messages.ts';
import type { ResolvedOptions } from './options.ts';

export class WebSocketServer {
  /** Handler chains still running (close handlers after a disconnect...), awaited at stop. */
  readonly #inflight = new Set<Promise<void>>();
  #pingTimer: NodeJS.Timeout | undefined;
  /** Handlers running now, across connections, for the shutdown deadline to abort. */
  readonly #running = new Set<NonNullable<LocalConnection['running']>>();
  /** Set when the HTTP server starts closing: the connections it closes are not clients leaving. */
  #stopping = false;
  // One misbehaving client (or a thousand) must not turn into one warning per frame.
  #repeats: RepeatedLog | undefined;

  get #repeated(): RepeatedLog {
    return (this.#repeats ??= new RepeatedLog(this.logger));
  }

  constructor(
    private readonly ctx: PluginContext<unknown>,
    private readonly options: ResolvedOptions,
    private readonly endpoints: readonly Endpoint[],
    private readonly registry: ConnectionRegistry,
    private readonly logger: FastifyBaseLogger,
  ) {}

  /** Adds @fastify/websocket and one route per endpoint to the root Fastify instance. */
  async register(app: FastifyInstance): Promise<void> {
    await app.register(fastifyWebsocket, {
      options: { maxPayload: this.options.maxPayloadBytes },
      // ws already closes with the right code (1009 for a too large frame) before it reports
      // the error; cutting the socket here would lose that close frame.
      errorHandler: (error, socket, request) => {
        request.log.info({ err: error }, 'websocket connection error');
        if (socket.readyState === socket.OPEN) socket.terminate();
      },
      preClose: (done) => {
        this.#stopping = true;
        for (const c of this.registry.all()) c.close(1001, 'server shutting down');
        clearInterval(this.#pingTimer);
        app.websocketServer.close(() => done());
      },
    });
    for (const endpoint of this.endpoints) {
      app.route({
        method: 'GET',
        url: endpoint.path,
        websocket: true,
        preValidation: async (request, reply) => {
          if (this.registry.size >= this.options.maxConnections) {
            this.#repeated.warn('ws.max-connections', { max: this.options.maxConnections }, 'websocket connection refused: maxConnections reached');
            return reply.code(503).send({ statusCode: 503, code: 'JRR_WS_TOO_MANY_CONNECTIONS', error: 'Service Unavailable', message: 'too many WebSocket connections on this server; retry later' });
          }
        },
        handler: (socket, request) => this.#accept(endpoint, socket, request),
      });
    }
    this.#pingTimer = setInterval(() => this.#ping(), this.options.pingIntervalMs);
    this.#pingTimer.unref();
    app.addHook('onClose', async () => clearInterval(this.#pingTimer));
  }

  /** Applies a packet from the backend to this process's connections. */
  deliver(packet: WsPacket): void {
    for (const op of packet.ops) {
      switch (op.op) {
        case 'broadcast': {
          const frame = frameBytes(op);
          for (const c of this.registry.all()) if (c.accepted) c.write(frame, op.binary);
          break;
        }
        case 'rooms': {
          const frame = frameBytes(op);
          for (const c of this.registry.inRooms(op.rooms)) if (c.accepted) c.write(frame, op.binary);
          break;
        }
        case 'to': {
          const frame = frameBytes(op);
          for (const id of op.ids) {
            const c = this.registry.get(id);
            if (c?.accepted) c.write(frame, op.binary);
          }
          break;
        }
        case 'join':
          this.registry.join(op.id, op.rooms);
          break;
        case 'leave':
          this.registry.leave(op.id, op.rooms);
          break;
      }
    }
  }

  /**
   * Waits (bounded) for handlers still running, so close handlers finish before plugins stop;
   * past the deadline the running ones' signals abort with ShutdownAbort.
   */
  async drain(timeoutMs = 5000): Promise<void> {
    clearInterval(this.#pingTimer);
    await drain(this.#inflight, (chain) => chain, {
      timeoutMs,
      onDeadline: (left) => {
        this.logger.warn({ running: left.length, timeoutMs }, 'websocket handlers still running at the shutdown deadline: aborting them');
        const reason = new ShutdownAbort('http');
        for (const running of this.#running) running.execution?.abort(reason);
      },
    });
  }

  #accept(endpoint: Endpoint, socket: WebSocket, request: FastifyRequest): void {
    const connection = new LocalConnection(randomUUID(), endpoint.path, socket, request.headers, request.ip, this.options.maxBufferedBytes, (c) =>
      this.#repeated.warn('ws.slow-client', { connectionId: c.id, bufferedBytes: c.socket.bufferedAmount, max: this.options.maxBufferedBytes }, 'websocket client too slow (send buffer full): closing with 1013'),
    );
    const logger = request.log.child({ connectionId: connection.id });
    this.registry.add(connection);
    if (wsEvents.hasSubscribers) wsEvents.publish({ endpoint: endpoint.path, event: 'open' });
    // A connection refused by @OnConnect never was: its @OnClose does not run.
    let accepted = !endpoint.connect;
    connection.accepted = accepted;
    logger.debug({ path: endpoint.path, connections: this.registry.size }, 'websocket connected');
    socket.on('pong', () => (connection.alive = true));
    socket.on('message', (raw, isBinary) => this.#onFrame(endpoint, connection, logger, raw, isBinary));
    socket.once('close', (code, reason) => {
      this.registry.remove(connection);
      if (wsEvents.hasSubscribers) wsEvents.publish({ endpoint: endpoint.path, event: 'close' });
      // A message handler still running has nobody to answer: its signal tells it.
      if (connection.running?.event === 'message') {
        connection.running.execution?.abort(this.#stopping ? new ShutdownAbort('http') : new ClientGoneAbort(`${connection.running.handler} (websocket connection ${connection.id})`));
      }
      logger.debug({ code, reason: reason.toString() }, 'websocket closed');
      if (endpoint.close) {
        const handler = endpoint.close;
        // Decided in the queue, after @OnConnect finished: a client that left while its connect
        // handler ran still gets its @OnClose once that handler accepted it.
        this.#enqueue(connection, async () => {
          if (!accepted) return;
          await this.#run(handler, connection, logger, { event: 'close', code }, (e) => this.ctx.handlers.invoke(e, handler, connection, code, reason.toString()));
        });
      }
    });
    if (endpoint.connect) {
      const handler = endpoint.connect;
      this.#enqueue(connection, async () => {
        try {
          const reply = await this.#run(handler, connection, logger, { event: 'connect', request }, async (e) => {
            const value = await this.ctx.handlers.invoke(e, handler, connection, request);
            // Accepted inside the execution, so what the handler itself sends (flushed on the
            // way out) reaches the client.
            connection.accepted = true;
            return value;
          });
          accepted = true;
          this.#reply(connection, reply);
        } catch (err) {
          connection.accepted = false;
          if (err instanceof WsClose) return connection.close(err.closeCode, err.message);
          // A guard's refusal (GuardRejected) or an HttpError(401) on connect: 1008, policy violation.
          if (err instanceof HttpError && err.statusCode < 500) {
            logger.info({ code: err.code }, err.message);
            return connection.close(1008, err.message);
          }
          logger.error({ err }, `websocket connect handler ${handler.name} failed`);
          connection.close(1011, 'internal error');
        }
      });
    }
  }

  #onFrame(endpoint: Endpoint, connection: LocalConnection, logger: FastifyBaseLogger, raw: RawData, isBinary: boolean): void {
    if (wsEvents.hasSubscribers) wsEvents.publish({ endpoint: endpoint.path, event: 'frame-in' });
    // Frames still arriving after the close began: nobody will read an answer, nothing to log.
    if (!connection.open) return;
    if (connection.pending >= this.options.maxPendingMessages) {
      this.#repeated.warn('ws.too-fast', { connectionId: connection.id, pending: connection.pending }, 'websocket client sends faster than its handlers run: closing with 1013');
      connection.close(1013, 'too many pending messages');
      return;
    }
    connection.pending++;
    this.#enqueue(connection, async () => {
      connection.pending--;
      await this.#handleFrame(endpoint, connection, logger, raw, isBinary);
    });
  }

  async #handleFrame(endpoint: Endpoint, connection: LocalConnection, logger: FastifyBaseLogger, raw: RawData, isBinary: boolean): Promise<void> {
    if (!connection.open) return; // refused by @OnConnect, or closing: nobody to answer
    if (isBinary) return this.#error(connection, 'JRR_WS_BINARY', 'binary frames are not accepted: send JSON text { "type": ..., "data": ... }');
    let message: { type?: unknown; data?: unknown; id?: unknown };
    try {
      message = JSON.parse(raw.toString());
    } catch {
      return this.#error(connection, 'JRR_WS_BAD_JSON', 'the frame is not valid JSON: send { "type": ..., "data": ... }');
    }
    const replyTo = typeof message?.id === 'string' || typeof message?.id === 'number' ? message.id : undefined;
    if (!message || typeof message !== 'object' || Array.isArray(message) || typeof message.type !== 'string') {
      return this.#error(connection, 'JRR_WS_BAD_MESSAGE', 'a message is a JSON object { "type": string, "data": ... }', undefined, replyTo);
    }
    const route = endpoint.messages.get(message.type);
    if (!route) {
      return this.#error(connection, 'JRR_WS_UNKNOWN_TYPE', `unknown message type '${message.type}' (known: ${[...endpoint.messages.keys()].join(', ') || 'none'})`, undefined, replyTo);
    }
    if (route.validate && !route.validate(message.data)) {
      const details = (route.validate.errors ?? []).map((e) => ({ path: `data${e.instancePath.replace(/\//g, '.')}`, message: e.message, params: e.params }));
      return this.#error(connection, 'JRR_WS_INVALID', `invalid '${message.type}' message: ${details.map((d) => `${d.path} ${d.message}`).join('; ')}`, details, replyTo);
    }
    if (!route.handler) return this.#error(connection, 'JRR_WS_NO_HANDLER', `messages of type '${message.type}' are not handled by this endpoint`, undefined, replyTo);
    const handler = route.handler;
    try {
      const reply = await this.#run(handler, connection, logger, { event: 'message', type: message.type, messageId: replyTo }, (e) => this.ctx.handlers.invoke(e, handler, message.data, connection));
      this.#reply(connection, reply, replyTo);
    } catch (err) {
      if (err instanceof WsClose) return connection.close(err.closeCode, err.message);
      if (err instanceof WsError) return this.#error(connection, err.code, err.message, err.details, replyTo);
      if (err instanceof HttpError && err.statusCode < 500) return this.#error(connection, err.code, err.message, undefined, replyTo);
      // A domain error mapped to a client status (@DomainError): its message is meant to be seen.
      const mapped = mappedError(err);
      if (mapped && mapped.status < 500) return this.#error(connection, mapped.code as ErrorCode, mapped.message, mapped.details, replyTo);
      // Cut short because the connection closed: there is nobody to answer, and nothing failed.
      if (err instanceof ClientGoneAbort || err instanceof ShutdownAbort) return logger.info({ code: err.code, type: message.type }, err.message);
      this.#repeated.error(`ws.handler-failed:${handler.name}`, { err, connectionId: connection.id, type: message.type }, `websocket handler ${handler.name} failed`);
      this.#error(connection, 'JRR_WS_HANDLER_FAILED', `the '${message.type}' handler failed; see the server log`, undefined, replyTo);
    }
  }

  async #run(handler: HandlerInfo<typeof WS_KIND>, connection: LocalConnection, logger: FastifyBaseLogger, details: WsEventDetails, fn: (execution: Execution<typeof WS_KIND>) => Promise<unknown>): Promise<unknown> {
    // `handle`: the execution is known as soon as it exists, and makes no AbortSignal unless aborted or read.
    const running: NonNullable<LocalConnection['running']> = { event: details.event, handler: handler.name };
    connection.running = running;
    this.#running.add(running);
    try {
      return await this.ctx.execute({ kind: WS_KIND, handler, logger, details: { connectionId: connection.id, path: connection.path, connection, ...details }, handle: running }, fn);
    } finally {
      this.#running.delete(running);
      if (connection.running === running) connection.running = undefined;
    }
  }

  /** Handlers of one connection run one after the other; the chain is tracked for shutdown. */
  #enqueue(connection: LocalConnection, step: () => Promise<void>): void {
    const next = connection.chain.then(step).catch((err: unknown) => this.logger.error({ err, connectionId: connection.id }, 'websocket handler chain failed'));
    connection.chain = next;
    this.#inflight.add(next);
    void next.finally(() => this.#inflight.delete(next));
  }

  #reply(connection: LocalConnection, reply: unknown, replyTo?: string | number): void {
    if (reply === undefined || reply === null) return;
    // A raw frame cannot carry replyTo: it is sent as it is.
    if (typeof reply === 'string' || reply instanceof Uint8Array) {
      const frame = encodeFrame(reply as WsOutgoing);
      connection.write(frameBytes(frame), frame.binary);
      return;
    }
    connection.write(Buffer.from(encodeMessage(reply as WsMessage, replyTo)));
  }

  #error(connection: LocalConnection, code: ErrorCode, message: string, details?: unknown, replyTo?: string | number): void {
    const frame: Record<string, unknown> = { type: 'error', data: details === undefined ? { code, message } : { code, message, details } };
    if (replyTo !== undefined) frame.replyTo = replyTo;
    connection.write(Buffer.from(JSON.stringify(frame)));
  }

  /** A connection that did not answer the previous ping is dead (half-open TCP): cut it. */
  #ping(): void {
    for (const c of this.registry.all()) {
      if (!c.alive) {
        this.logger.info({ connectionId: c.id }, 'websocket connection missed its pong: terminating');
        c.socket.terminate();
        continue;
      }
      c.alive = false;
      if (c.open) c.socket.ping();
    }
  }
}
