// One client connection on this process, and the registry of this process's connections and
// rooms. Every write goes through LocalConnection.write: never to a closed socket, and a client
// that does not read (its send buffer is full) is closed with 1013 instead of slowing the others.
import type { IncomingHttpHeaders } from 'node:http';
import { eventChannel, type Execution } from 'jararaca';
import { WebSocket } from 'ws';

// Connections opening and closing, frames in and out, frames dropped (metrics subscribe).
export const wsEvents = eventChannel('jararaca:websocket:connection');

/** What handlers see of a connection. */
export interface WsConnection {
  /** Unique across the service's processes: pass it to useWsManager().sendTo/join/leave from anywhere. */
  readonly id: string;
  /** The endpoint's path. */
  readonly path: string;
  /** Rooms the connection is in now. */
  readonly rooms: ReadonlySet<string>;
  /** Per-connection values, set by @OnConnect (the user id...) and read by later handlers of this connection. */
  readonly state: Record<string, unknown>;
  /** Headers of the upgrade request. */
  readonly headers: IncomingHttpHeaders;
  readonly remoteAddress: string | undefined;
  /** False once the connection is closing or closed. */
  readonly open: boolean;
}

export const SLOW_CONSUMER = 1013;

export class LocalConnection implements WsConnection {
  readonly rooms = new Set<string>();
  readonly state: Record<string, unknown> = {};
  /** Answered the last ping. */
  alive = true;
  /** Client messages accepted but not yet handled. */
  pending = 0;
  /**
   * @OnConnect accepted it (or the endpoint has none). Until then it is in the registry, so
   * rooms joined by the connect handler count, but it receives no broadcast or room send: a
   * client that authentication will refuse must hear nothing meanwhile.
   */
  accepted = false;
  /** Handlers of this connection run one after the other, in arrival order. */
  chain: Promise<void> = Promise.resolve();
  /** The handler running now, if any (one at a time); its `execution` is set once it exists. */
  running: { event: string; handler: string; execution?: Execution<'websocket'> } | undefined;
  #closing = false;

  constructor(
    readonly id: string,
    readonly path: string,
    readonly socket: WebSocket,
    readonly headers: IncomingHttpHeaders,
    readonly remoteAddress: string | undefined,
    private readonly maxBufferedBytes: number,
    /** Told once when the connection is closed for being too slow. */
    private readonly onSlow: (connection: LocalConnection) => void = () => undefined,
  ) {}

  get open(): boolean {
    return !this.#closing && this.socket.readyState === WebSocket.OPEN;
  }

  /** Sends one text (or binary) frame. Returns false when nothing was written (closed, or too slow and now closing). */
  write(frame: Buffer, binary = false): boolean {
    if (!this.open) return false;
    if (this.socket.bufferedAmount > this.maxBufferedBytes) {
      if (wsEvents.hasSubscribers) wsEvents.publish({ endpoint: this.path, event: 'dropped' });
      this.onSlow(this);
      this.close(SLOW_CONSUMER, 'slow consumer: send buffer full', true);
      return false;
    }
    this.socket.send(frame, { binary });
    if (wsEvents.hasSubscribers) wsEvents.publish({ endpoint: this.path, event: 'frame-out' });
    return true;
  }

  /**
   * Starts the close handshake. `force`: the client may never read the close frame (it stopped
   * reading), so the TCP connection is cut shortly after.
   */
  close(code: number, reason: string, force = false): void {
    if (this.#closing) return;
    this.#closing = true;
    try {
      this.socket.close(code, reason.slice(0, 120));
    } catch {
      this.socket.terminate();
    }
    if (force) setTimeout(() => this.socket.terminate(), 1000).unref();
  }
}

/** This process's connections, by id and by room. */
export class ConnectionRegistry {
  readonly #byId = new Map<string, LocalConnection>();
  readonly #rooms = new Map<string, Set<LocalConnection>>();

  get size(): number {
    return this.#byId.size;
  }

  get(id: string): LocalConnection | undefined {
    return this.#byId.get(id);
  }

  all(): IterableIterator<LocalConnection> {
    return this.#byId.values();
  }

  add(connection: LocalConnection): void {
    this.#byId.set(connection.id, connection);
  }

  remove(connection: LocalConnection): void {
    if (this.#byId.get(connection.id) !== connection) return;
    this.leave(connection.id, [...connection.rooms]);
    this.#byId.delete(connection.id);
  }

  /** Ignores ids of connections this process does not hold (they live on another replica, or are gone). */
  join(id: string, rooms: readonly string[]): void {
    const connection = this.#byId.get(id);
    if (!connection) return;
    for (const room of rooms) {
      connection.rooms.add(room);
      (this.#rooms.get(room) ?? this.#rooms.set(room, new Set()).get(room)!).add(connection);
    }
  }

  leave(id: string, rooms: readonly string[]): void {
    const connection = this.#byId.get(id);
    if (!connection) return;
    for (const room of rooms) {
      connection.rooms.delete(room);
      const members = this.#rooms.get(room);
      members?.delete(connection);
      if (members?.size === 0) this.#rooms.delete(room);
    }
  }

  /** Members of any of these rooms, each once. */
  inRooms(rooms: readonly string[]): Set<LocalConnection> {
    const found = new Set<LocalConnection>();
    for (const room of rooms) for (const c of this.#rooms.get(room) ?? []) found.add(c);
    return found;
  }
}
