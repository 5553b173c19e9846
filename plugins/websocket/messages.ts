// WebSocket messages are JSON text frames `{ "type": ..., "data": ... }` (plus an optional
// client-chosen `id`, echoed as `replyTo` in the answer). defineWsMessage gives a type both a
// JSON Schema (validated for incoming messages) and a static TypeScript type.
import type { FromSchema, JSONSchema } from 'json-schema-to-ts';
import { ArgumentError, JararacaError, type ErrorCode } from 'jararaca';

/** One message, in either direction. */
export interface WsMessage<T extends string = string, D = unknown> {
  type: T;
  data?: D;
}

export interface WsMessageDefinition<T extends string = string, D = unknown> {
  readonly type: T;
  readonly schema: JSONSchema;
  /** Builds a typed message: `TaskCreated.create({ id })` → `{ type: 'task.created', data: { id } }`. */
  create(data: D): WsMessage<T, D>;
  /** Phantom: the data's static type, for `typeof Def.Data`. Undefined at run time. */
  readonly Data: D;
}

/** `const Join = defineWsMessage('room.join', { type: 'object', ... } as const)`. */
export function defineWsMessage<const T extends string, const S extends JSONSchema>(type: T, schema: S): WsMessageDefinition<T, FromSchema<S>>;
export function defineWsMessage(type: string, schema: JSONSchema): WsMessageDefinition {
  if (typeof type !== 'string' || !type) throw new ArgumentError('JRR_WS_MESSAGE_DEFINITION', 'defineWsMessage(type, schema) needs a non-empty type string');
  return Object.freeze({ type, schema, create: (data: unknown) => ({ type, data }), Data: undefined });
}

/**
 * Throw from a WebSocket handler to close the connection with this code, e.g. in @OnConnect:
 * `throw new WsClose(4401, 'unauthorized')`. Codes 4000–4999 are for applications.
 */
export class WsClose extends JararacaError {
  readonly closeCode: number;
  constructor(closeCode: number, reason = '') {
    super('JRR_WS_CLOSE', reason || `connection closed with ${closeCode}`);
    this.closeCode = closeCode;
  }
}

/** Throw from a message handler to answer the client with an error frame it may show (the connection stays open). */
export class WsError extends JararacaError {
  readonly details?: unknown;
  /** `code` is one of the table's: declare your application's codes like a plugin does (docs/errors.md). */
  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(code, message);
    this.details = details;
  }
}

/** The error frame a client receives: `{ type: 'error', data: { code, message, details? }, replyTo? }`. */
export interface WsErrorFrame {
  type: 'error';
  data: { code: string; message: string; details?: unknown };
  replyTo?: string | number;
}
