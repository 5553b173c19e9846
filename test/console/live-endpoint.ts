// The WebSocket endpoint the console's WebSocket tests declare (a client joins the room it asks
// to watch), and a client that connects and watches a room.
import { once } from 'node:events';
import { WebSocket } from 'ws';

/** Module source for a service folder: `@WebSocketEndpoint('/live')`, whose `watch` message joins a room. */
export const liveEndpointModule = `import { defineWsMessage, OnMessage, useWsManager, WebSocketEndpoint, type WsConnection } from 'jararaca/websocket';
const Watch = defineWsMessage('watch', { type: 'object', required: ['room'], properties: { room: { type: 'string' } } } as const);
@WebSocketEndpoint('/live', { messages: [Watch] })
export class Live {
  @OnMessage(Watch)
  watch(data: { room: string }, connection: WsConnection) {
    useWsManager().join(connection.id, data.room);
    return { type: 'watching', data };
  }
}
`;

/** Connects to `/live` of the service at `url`, joins `room`, and keeps the socket in `sockets` (to close after the test). */
export async function watchRoom(url: string, sockets: WebSocket[], room: string): Promise<void> {
  const ws = new WebSocket(`${url.replace('http', 'ws')}/live`);
  sockets.push(ws);
  await once(ws, 'open');
  const reply = once(ws, 'message');
  ws.send(JSON.stringify({ type: 'watch', data: { room } }));
  await reply;
}
