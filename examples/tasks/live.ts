// The tasks service's WebSocket endpoint: clients on /ws hear `task.created` and `task.done`
// (every client joins the room `tasks`), and may watch one task (room `task:<id>`).
// examples/tasks/ws-client.ts is a client for it.
import { useWsManager, OnConnect, OnMessage, WebSocketEndpoint, defineWsMessage, type WsConnection } from 'jararaca/websocket';

const Watch = defineWsMessage('task.watch', {
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: { id: { type: 'string', format: 'uuid' } },
} as const);

@WebSocketEndpoint('/ws', { messages: [Watch] })
export class LiveTasks {
  @OnConnect()
  connect(connection: WsConnection) {
    useWsManager().join(connection.id, 'tasks');
    return { type: 'hello', data: { connectionId: connection.id } };
  }

  @OnMessage(Watch)
  watch(data: typeof Watch.Data, connection: WsConnection) {
    useWsManager().join(connection.id, `task:${data.id}`);
    return { type: 'task.watching', data };
  }
}
