// @WebSocketEndpoint on a controller class, and @OnConnect / @OnMessage / @OnClose on its methods.
// Built with the public classDecorator/handlerDecorator: every method becomes a handler of kind
// 'websocket' whose spec carries the endpoint's path and what the method answers to.
import type { FastifyRequest } from 'fastify';
import { ArgumentError, classDecorator, handlerDecorator, type PublicMethodContext } from 'jararaca';
import type { WsConnection } from './connection.ts';
import type { WsMessage, WsMessageDefinition } from './messages.ts';

/** The handler kind this plugin adds: `ctx.handlers.ofKind('websocket')`, `execution.kind`. */
export const WS_KIND = 'websocket';

/** Raw frames (not `{ type, data }` JSON) the endpoint's clients receive. */
export type WsRawFrames = 'text' | 'binary' | 'both';

export interface WebSocketEndpointOptions {
  /** Message types clients may send besides those named by @OnMessage (validated, then refused with an error frame if no handler). */
  messages?: readonly WsMessageDefinition[];
  /**
   * Messages the server sends to the endpoint's clients (replies, broadcasts, room sends): the
   * contract only (the AsyncAPI document, the generated client); what is sent is not checked.
   */
  sends?: readonly WsMessageDefinition[];
  /**
   * The endpoint's clients also receive raw frames (`broadcast('text')`, `broadcast(buffer)`):
   * written in the contract so clients expect them. Delivery does not depend on it.
   */
  rawFrames?: WsRawFrames;
}

export interface WebSocketEndpointSpec {
  path: string;
  messages: readonly WsMessageDefinition[];
  sends?: readonly WsMessageDefinition[];
  rawFrames?: WsRawFrames;
}

export type WsHandlerSpec =
  | { event: 'connect' }
  | { event: 'message'; type: string; definition?: WsMessageDefinition }
  | { event: 'close' };

/** What a handler's spec is once the registry merged the class's and the method's. */
export type WsHandlerInfoSpec = WebSocketEndpointSpec & WsHandlerSpec;

/** What one connection event is: connect (with the upgrade request), a message, or close. */
export type WsEventDetails = { event: 'connect'; request: FastifyRequest } | { event: 'message'; type: string; messageId?: string | number } | { event: 'close'; code: number };

/** What a WebSocket execution carries. */
export type WsDetails = { readonly connectionId: string; readonly path: string; readonly connection: WsConnection } & WsEventDetails;

declare module 'jararaca' {
  interface ExecutionKinds {
    /** A WebSocket connect, message or close: the connection; the handler as declared (no path when @WebSocketEndpoint is missing). */
    websocket: { details: WsDetails; spec: Partial<WebSocketEndpointSpec> & WsHandlerSpec };
  }
}

// A raw reply (string, bytes) is sent as it is, without replyTo.
type Reply = WsMessage | string | Uint8Array | void | undefined;
// `private: false, static: false`: TypeScript types a decorator's context with literals, so one on
// a #private or static method is a compile error rather than a failure at load.
type MethodDecorator<F> = <This>(value: F & ((this: This, ...args: never[]) => unknown), context: ClassMethodDecoratorContext<This> & { readonly private: false; readonly static: false }) => void;

/** Serves the class's WebSocket handlers at `path` in the HTTP role. */
export function WebSocketEndpoint(path: string, options: WebSocketEndpointOptions = {}) {
  if (typeof path !== 'string' || !path.startsWith('/')) throw new ArgumentError('JRR_WS_ENDPOINT_PATH', `@WebSocketEndpoint(path) needs a path starting with '/', got ${JSON.stringify(path)}`);
  if (options.rawFrames !== undefined && !['text', 'binary', 'both'].includes(options.rawFrames)) {
    throw new ArgumentError('JRR_WS_ENDPOINT_OPTIONS', `@WebSocketEndpoint('${path}', { rawFrames }) is 'text', 'binary' or 'both', got ${JSON.stringify(options.rawFrames)}`);
  }
  return classDecorator<WebSocketEndpointSpec>(WS_KIND, { path, messages: [...(options.messages ?? [])], sends: [...(options.sends ?? [])], rawFrames: options.rawFrames });
}

/**
 * Runs when a client connects (one execution), with the upgrade request. Throw `WsClose(4401)` to
 * refuse; set `connection.state` for later handlers; a returned message is sent to the client.
 */
export function OnConnect(): MethodDecorator<(connection: WsConnection, request: FastifyRequest) => Reply | Promise<Reply>> {
  return (value, context) => handlerDecorator<WsHandlerSpec>(WS_KIND, { event: 'connect' })(value, context as PublicMethodContext<never>);
}

/** Runs for each valid client message of this type (one execution each); a returned message is the reply. */
export function OnMessage<T extends string, D>(message: WsMessageDefinition<T, D>): MethodDecorator<(data: D, connection: WsConnection) => Reply | Promise<Reply>>;
export function OnMessage(type: string): MethodDecorator<(data: unknown, connection: WsConnection) => Reply | Promise<Reply>>;
export function OnMessage(message: WsMessageDefinition | string): MethodDecorator<(data: never, connection: WsConnection) => Reply | Promise<Reply>> {
  const spec: WsHandlerSpec = typeof message === 'string' ? { event: 'message', type: message } : { event: 'message', type: message.type, definition: message };
  return (value, context) => handlerDecorator<WsHandlerSpec>(WS_KIND, spec)(value, context as PublicMethodContext<never>);
}

/** Runs once after the connection closed (one execution); the socket can no longer be written. */
export function OnClose(): MethodDecorator<(connection: WsConnection, code: number, reason: string) => unknown> {
  return (value, context) => handlerDecorator<WsHandlerSpec>(WS_KIND, { event: 'close' })(value, context as PublicMethodContext<never>);
}
