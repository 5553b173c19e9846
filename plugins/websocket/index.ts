// import { useWsManager, WebSocketEndpoint, ... } from 'jararaca/websocket'
export { default } from './plugin.ts';
export { WebSocketEndpoint, OnConnect, OnMessage, OnClose, WS_KIND } from './decorators.ts';
export type { WebSocketEndpointOptions, WebSocketEndpointSpec, WsHandlerSpec, WsDetails, WsEventDetails } from './decorators.ts';
export { defineWsMessage, WsClose, WsError } from './messages.ts';
export type { WsMessage, WsMessageDefinition, WsErrorFrame } from './messages.ts';
export { useWsManager } from './manager.ts';
export type { WsManager } from './manager.ts';
export type { WsConnection } from './connection.ts';
export { WsBackendUnavailableError } from './backend-redis.ts';
export { optionsSchema } from './options.ts';
export type { WebSocketOptions } from './options.ts';
