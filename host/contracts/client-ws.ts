// Generator: a typed WebSocket client per endpoint of the AsyncAPI document (channels with the
// `ws` binding). Messages both ways come from the endpoint's message map (`@OnMessage` and
// `messages` in, `sends` and the error frame out, raw frames when declared); the client
// reconnects with exponential backoff and runs wherever a WebSocket class exists: browsers,
// Node ≥ 22 (global WebSocket), or Node 20 with `ws` (`new TasksWs(url, { WebSocket })`).
//
// Input: the AsyncAPI document of `jararaca-host asyncapi` (asyncApiDocument(host)).
// Output: GeneratedFiles, `ws-<path>.ts` per endpoint (json-schema-to-typescript is async).
import type { AsyncApiObject } from '../core/asyncapi-types.ts';
import type { AsyncApiDocument } from './asyncapi.ts';
import type { GeneratedFile } from './generator.ts';
import { schemaType, typeName } from './schema-types.ts';

interface WsMessageInfo {
  type: string;
  data: unknown;
  raw?: 'text' | 'binary';
}

const refTarget = (doc: AsyncApiDocument, ref: string): AsyncApiObject | undefined => {
  const id = ref.split('/').pop()!;
  return doc.components.messages[id];
};

function endpointMessages(doc: AsyncApiDocument, channel: AsyncApiObject, direction: 'in' | 'out'): WsMessageInfo[] {
  const out: WsMessageInfo[] = [];
  for (const [key, value] of Object.entries((channel.messages ?? {}) as Record<string, AsyncApiObject>)) {
    if (!key.startsWith(`${direction}.`)) continue;
    const message = typeof value.$ref === 'string' ? refTarget(doc, value.$ref) : value;
    if (!message) continue;
    const raw = message['x-jararaca-raw'];
    if (raw === 'text' || raw === 'binary') {
      out.push({ type: String(message.name), data: undefined, raw });
      continue;
    }
    const payload = message.payload as { properties?: { data?: unknown } } | undefined;
    out.push({ type: String(message.name), data: payload?.properties?.data ?? {} });
  }
  return out;
}

const RUNTIME = `
/** The part of the WebSocket API the client uses (browsers, Node ≥ 22, the ws package). */
export interface WebSocketLike {
  readonly readyState: number;
  binaryType: string;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}
export type WebSocketClass = new (url: string) => WebSocketLike;

export interface ClientOptions {
  /** Default globalThis.WebSocket (browsers, Node ≥ 22); pass \`WebSocket\` from 'ws' on Node 20. */
  WebSocket?: WebSocketClass;
  /** Reconnection after an unexpected close: delay doubling from initialDelayMs up to maxDelayMs, ±20% jitter. */
  reconnect?: { initialDelayMs?: number; maxDelayMs?: number; maxAttempts?: number } | false;
}

/** What the client throws, with a stable code. */
export class WsClientError extends Error {
  constructor(readonly code: 'NO_WEBSOCKET', message: string) {
    super(message);
    this.name = 'WsClientError';
  }
}

type Listener<T> = (value: T) => void;

class Emitter<Events extends Record<string, unknown>> {
  readonly #listeners = new Map<keyof Events, Set<Listener<never>>>();
  on<K extends keyof Events>(event: K, fn: Listener<Events[K]>): () => void {
    let set = this.#listeners.get(event);
    if (!set) this.#listeners.set(event, (set = new Set()));
    set.add(fn as Listener<never>);
    return () => set!.delete(fn as Listener<never>);
  }
  protected emit<K extends keyof Events>(event: K, value: Events[K]): void {
    for (const fn of this.#listeners.get(event) ?? []) (fn as Listener<Events[K]>)(value);
  }
}
`;

const clientClass = (name: string, path: string) => `
export type ${name}Events = { [K in keyof ServerMessages]: ServerMessages[K] } & {
  /** Every JSON frame from the server, typed. */
  frame: ServerFrame;
  /** Raw frames (text as a string, binary as an ArrayBuffer). */
  raw: string | ArrayBuffer;
  open: undefined;
  close: { code: number; reason: string; reconnecting: boolean };
};

/** Client of ${path}: \`const c = new ${name}('ws://host:3000'); c.on('hello', (d) => ...); c.send('type', data)\`. */
export class ${name} extends Emitter<${name}Events> {
  static readonly path = ${JSON.stringify(path)};
  readonly url: string;
  #socket: WebSocketLike | undefined;
  #closed = false;
  #attempt = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #options: ClientOptions;
  readonly #queue: string[] = [];

  /** \`base\`: the service's ws:// or wss:// origin (or the endpoint's full URL). */
  constructor(base: string, options: ClientOptions = {}) {
    super();
    this.url = base.endsWith(${name}.path) ? base : base.replace(/\\/$/, '') + ${name}.path;
    this.#options = options;
    this.#connect();
  }

  /** Sends a message (queued until the connection is open); \`id\` comes back as replyTo. */
  send<K extends keyof ClientMessages>(type: K, data: ClientMessages[K], id?: string | number): void {
    const text = JSON.stringify(id === undefined ? { type, data } : { type, data, id });
    if (this.#socket && this.#socket.readyState === 1) this.#socket.send(text);
    else this.#queue.push(text);
  }

  /** Closes for good (no reconnection). */
  close(code = 1000, reason = ''): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#socket?.close(code, reason);
  }

  #connect(): void {
    const Ws = this.#options.WebSocket ?? (globalThis as { WebSocket?: WebSocketClass }).WebSocket;
    if (!Ws) throw new WsClientError('NO_WEBSOCKET', 'no WebSocket class here: pass { WebSocket } from the ws package (Node < 22)');
    const socket = new Ws(this.url);
    this.#socket = socket;
    socket.binaryType = 'arraybuffer';
    socket.onopen = () => {
      this.#attempt = 0;
      for (const text of this.#queue.splice(0)) socket.send(text);
      this.emit('open', undefined);
    };
    socket.onmessage = (event) => this.#receive(event.data);
    socket.onerror = () => undefined; // a close follows
    socket.onclose = (event) => {
      const reconnect = this.#options.reconnect === false ? undefined : (this.#options.reconnect ?? {});
      // 1000 is a normal close, 4xxx an application's refusal (unauthorized...): retrying would not help.
      const again = !this.#closed && reconnect !== undefined && event.code !== 1000 && !(event.code >= 4000 && event.code < 5000) && this.#attempt < (reconnect.maxAttempts ?? Infinity);
      this.emit('close', { code: event.code, reason: event.reason, reconnecting: again });
      if (!again) return;
      const base = Math.min(reconnect.maxDelayMs ?? 30000, (reconnect.initialDelayMs ?? 500) * 2 ** this.#attempt++);
      this.#timer = setTimeout(() => this.#connect(), Math.round(base * (0.8 + Math.random() * 0.4)));
    };
  }

  #receive(data: unknown): void {
    if (typeof data !== 'string') {
      this.emit('raw', data instanceof ArrayBuffer ? data : new Uint8Array(data as ArrayLike<number>).buffer);
      return;
    }
    let frame: ServerFrame | undefined;
    try {
      const parsed = JSON.parse(data) as { type?: unknown };
      if (parsed && typeof parsed === 'object' && typeof parsed.type === 'string') frame = parsed as ServerFrame;
    } catch {
      // not JSON: a raw text frame
    }
    if (!frame) return this.emit('raw', data);
    this.emit('frame', frame);
    this.emit(frame.type as keyof ServerMessages, (frame as unknown as { data: never }).data);
  }
}
`;

export async function generateWsClients(doc: AsyncApiDocument): Promise<GeneratedFile[]> {
  const files: GeneratedFile[] = [];
  for (const channel of Object.values(doc.channels)) {
    if (!(channel.bindings as AsyncApiObject | undefined)?.ws) continue;
    const path = String(channel.address);
    const incoming = endpointMessages(doc, channel, 'in');
    const outgoing = endpointMessages(doc, channel, 'out').filter((m) => !m.raw);
    const slug = path.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'root';
    const name = `${typeName(slug)}Ws`;
    const typeOf = (direction: string, m: WsMessageInfo) => `${direction}${typeName(m.type)}`;
    const decls = await Promise.all([
      ...incoming.map((m) => schemaType(m.data, typeOf('Send', m))),
      ...outgoing.map((m) => schemaType(m.data, typeOf('Receive', m))),
    ]);
    const content = `// Generated by jararaca-host gen-client from the AsyncAPI document of '${String((doc.info as AsyncApiObject).title)}': the WebSocket endpoint ${path}. Do not edit.
${RUNTIME}
${decls.join('\n\n')}

/** What the client may send, by type. */
export interface ClientMessages {
${incoming.map((m) => `  ${JSON.stringify(m.type)}: ${typeOf('Send', m)};`).join('\n')}
}

/** What the server sends, by type. */
export interface ServerMessages {
${outgoing.map((m) => `  ${JSON.stringify(m.type)}: ${typeOf('Receive', m)};`).join('\n')}
}

export type ServerFrame = { [K in keyof ServerMessages]: { type: K; data: ServerMessages[K]; replyTo?: string | number } }[keyof ServerMessages];
${clientClass(name, path)}`;
    files.push({ path: `ws-${slug}.ts`, text: content });
  }
  return files;
}
