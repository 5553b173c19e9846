// Groups the 'websocket' handlers by endpoint path and compiles each message type's schema once.
import type { ValidateFunction } from 'ajv/dist/2020.js';
import { createAjv, HandlerDeclarationError, JararacaError, type HandlerInfo } from 'jararaca';
import type { WsHandlerInfoSpec, WsRawFrames } from './decorators.ts';
import type { WsMessageDefinition } from './messages.ts';

export interface MessageRoute {
  type: string;
  validate?: ValidateFunction;
  /** The message's definition, when it has one (its schema goes into the AsyncAPI document). */
  definition?: WsMessageDefinition;
  handler?: HandlerInfo<'websocket'>;
}

export interface Endpoint {
  path: string;
  /** Messages the server sends (declared for the contract). */
  sends: readonly WsMessageDefinition[];
  rawFrames?: WsRawFrames;
  /** Controller class names, for logs and `validate`. */
  controllers: Set<string>;
  connect?: HandlerInfo<'websocket'>;
  close?: HandlerInfo<'websocket'>;
  messages: Map<string, MessageRoute>;
}

// With the standard formats, so a message schema's format: uuid is enforced.
const ajv = createAjv();

export function buildEndpoints(handlers: readonly HandlerInfo<'websocket'>[]): Endpoint[] {
  const byPath = new Map<string, Endpoint>();
  const owner = new Map<string, HandlerInfo['controller']>();
  for (const handler of handlers) {
    const spec = handler.spec;
    if (typeof spec.path !== 'string') {
      throw new HandlerDeclarationError('JRR_WS_NO_ENDPOINT', `${handler.name} has a WebSocket handler decorator, but its class has no @WebSocketEndpoint(path): add one.`);
    }
    const known = owner.get(spec.path);
    if (known && known !== handler.controller) {
      throw new HandlerDeclarationError('JRR_WS_DUPLICATE_ENDPOINT', `@WebSocketEndpoint('${spec.path}') is declared by both ${known.name} and ${handler.controller.name}: one path, one controller.`);
    }
    owner.set(spec.path, handler.controller);
    let endpoint = byPath.get(spec.path);
    if (!endpoint) {
      endpoint = { path: spec.path, controllers: new Set(), messages: new Map(), sends: spec.sends ?? [], rawFrames: spec.rawFrames };
      for (const def of spec.messages ?? []) endpoint.messages.set(def.type, { type: def.type, validate: ajv.compile(def.schema as object), definition: def });
      byPath.set(spec.path, endpoint);
    }
    endpoint.controllers.add(handler.controller.name);
    const duplicate = (what: string) =>
      new JararacaError('JRR_WS_DUPLICATE_HANDLER', `${handler.name}: the endpoint '${spec.path}' already has a handler for ${what}; keep one.`);
    if (spec.event === 'connect') {
      if (endpoint.connect) throw duplicate('@OnConnect');
      endpoint.connect = handler;
    } else if (spec.event === 'close') {
      if (endpoint.close) throw duplicate('@OnClose');
      endpoint.close = handler;
    } else if (spec.event === 'message' && typeof spec.type === 'string') {
      const route = endpoint.messages.get(spec.type) ?? { type: spec.type };
      if (route.handler) throw duplicate(`messages of type '${spec.type}'`);
      route.handler = handler;
      if (spec.definition) {
        route.validate = ajv.compile(spec.definition.schema as object);
        route.definition = spec.definition;
      }
      endpoint.messages.set(spec.type, route);
    }
  }
  return [...byPath.values()];
}
