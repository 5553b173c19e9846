// node:http's status texts, taken from its CommonJS module rather than an ESM import: node:http's
// ESM facade reads every export once, and three of them (WebSocket, CloseEvent, MessageEvent)
// are getters that load undici — ~40 ms of every HTTP role's start, for a table of strings.
export const { STATUS_CODES } = process.getBuiltinModule('node:http');
