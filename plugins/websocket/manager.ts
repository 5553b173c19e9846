// useWsManager(): what handlers in any role call to reach WebSocket clients. Calls are staged on
// the execution and published as one packet only after the inner layers succeeded (after the
// database committed, when this plugin is listed before the session plugin); a failed
// execution publishes nothing.
import { ArgumentError, defineHook, JararacaError } from 'jararaca';
import type { WsOp } from './backend.ts';
import type { WsMessage } from './messages.ts';

export interface WsManager {
  /** Every connected client of the service, on every HTTP process. */
  broadcast(message: WsMessage): void;
  /** Clients in any of these rooms (each client once). */
  send(rooms: string | readonly string[], message: WsMessage): void;
  /** These connections, wherever they are connected. */
  sendTo(connectionIds: string | readonly string[], message: WsMessage): void;
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
    throw new JararacaError('JRR_WS_BAD_MESSAGE', `a WebSocket message is { type: string, data?: ... }, got ${JSON.stringify(message)?.slice(0, 100)}`);
  }
  return JSON.stringify(replyTo === undefined ? { type: message.type, data: message.data } : { type: message.type, data: message.data, replyTo });
}

export class StagedWsManager implements WsManager {
  #ops: WsOp[] = [];
  #done = false;

  #stage(op: WsOp): void {
    if (this.#done) throw new JararacaError('JRR_WS_EXECUTION_OVER', 'useWsManager(): this execution has already finished; call the manager only while its handler runs (do not keep it for later).');
    this.#ops.push(op);
  }

  broadcast(message: WsMessage): void {
    this.#stage({ op: 'broadcast', frame: encodeMessage(message) });
  }

  send(rooms: string | readonly string[], message: WsMessage): void {
    this.#stage({ op: 'rooms', rooms: list(rooms, 'rooms'), frame: encodeMessage(message) });
  }

  sendTo(connectionIds: string | readonly string[], message: WsMessage): void {
    this.#stage({ op: 'to', ids: list(connectionIds, 'connection ids'), frame: encodeMessage(message) });
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
