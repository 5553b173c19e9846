// useWsManager(): what handlers in any role call to reach WebSocket clients. Calls are staged on
// the execution and published as one packet only after the inner layers succeeded (after the
// database committed, when this plugin is listed before the session plugin); a failed
// execution publishes nothing.
import { ArgumentError, defineHook, JararacaError } from 'jararaca';
import type { WsFrame, WsOp } from './backend.ts';
import type { WsMessage } from './messages.ts';

/**
 * What can be sent: a message `{ type, data }` (a JSON text frame), or a raw frame: a string is
 * sent as a text frame as it is, a Buffer or Uint8Array as a binary frame (declare
 * `rawFrames` on the endpoints that receive them, so their contract says so).
 */
export type WsOutgoing = WsMessage | string | Uint8Array;

export interface WsManager {
  /** Every connected client of the service, on every HTTP process. */
  broadcast(message: WsOutgoing): void;
  /** Clients in any of these rooms (each client once). */
  send(rooms: string | readonly string[], message: WsOutgoing): void;
  /** These connections, wherever they are connected. */
  sendTo(connectionIds: string | readonly string[], message: WsOutgoing): void;
  /** Adds a connection to rooms; applied by the process that holds the connection (unknown ids are ignored). */
  join(connectionId: string, rooms: string | readonly string[]): void;
  leave(connectionId: string, rooms: string | readonly string[]): void;
}

const list = (value: string | readonly string[], what: string): string[] => {
  const items = typeof value === 'string' ? [value] : [...value];
  if (!items.every((v) => typeof v === 'string' && v.length > 0)) throw new ArgumentError('JRR_WS_MANAGER_ARGUMENT', `useWsManager(): ${what} must be non-empty strings, got ${JSON.stringify(value)}`);
  return items;
};

/** Serializes once, at the sender: every replica and client gets the same text. */
export function encodeMessage(message: WsMessage, replyTo?: string | number): string {
  if (!message || typeof message !== 'object' || typeof message.type !== 'string' || !message.type) {
    throw new JararacaError('JRR_WS_BAD_MESSAGE', `a WebSocket message is { type: string, data?: ... }, a string (a raw text frame) or a Buffer/Uint8Array (a raw binary frame), got ${JSON.stringify(message)?.slice(0, 100)}`);
  }
  return JSON.stringify(replyTo === undefined ? { type: message.type, data: message.data } : { type: message.type, data: message.data, replyTo });
}

/** A message or a raw frame, encoded once at the sender for every replica and client. */
export function encodeFrame(message: WsOutgoing): WsFrame {
  if (typeof message === 'string') return { frame: message };
  if (message instanceof Uint8Array) return { frame: Buffer.from(message.buffer, message.byteOffset, message.byteLength).toString('base64'), binary: true };
  return { frame: encodeMessage(message) };
}

/** The bytes written to the socket for a frame that travelled through the backend. */
export function frameBytes(frame: WsFrame): Buffer {
  return Buffer.from(frame.frame, frame.binary ? 'base64' : 'utf8');
}

export class StagedWsManager implements WsManager {
  #ops: WsOp[] = [];
  #done = false;

  #stage(op: WsOp): void {
    if (this.#done) throw new JararacaError('JRR_WS_EXECUTION_OVER', 'useWsManager(): this execution has already finished; call the manager only while its handler runs (do not keep it for later).');
    this.#ops.push(op);
  }

  broadcast(message: WsOutgoing): void {
    this.#stage({ op: 'broadcast', ...encodeFrame(message) });
  }

  send(rooms: string | readonly string[], message: WsOutgoing): void {
    this.#stage({ op: 'rooms', rooms: list(rooms, 'rooms'), ...encodeFrame(message) });
  }

  sendTo(connectionIds: string | readonly string[], message: WsOutgoing): void {
    this.#stage({ op: 'to', ids: list(connectionIds, 'connection ids'), ...encodeFrame(message) });
  }

  join(connectionId: string, rooms: string | readonly string[]): void {
    this.#stage({ op: 'join', id: list(connectionId, 'connection id')[0], rooms: list(rooms, 'rooms') });
  }

  leave(connectionId: string, rooms: string | readonly string[]): void {
    this.#stage({ op: 'leave', id: list(connectionId, 'connection id')[0], rooms: list(rooms, 'rooms') });
  }

  /** Ends staging and hands over what was staged (nothing, on failure: the caller just drops it). */
  take(): WsOp[] {
    this.#done = true;
    const ops = this.#ops;
    this.#ops = [];
    return ops;
  }
}

/** The execution's WebSocket manager. Needs `- use: websocket` in service.yaml. */
export const useWsManager = defineHook<WsManager>({ name: 'useWsManager', plugin: 'websocket' });
