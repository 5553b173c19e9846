// The tasks service's WebSocket endpoint: clients on /ws hear `task.created` and `task.done`
// (every client joins the room `tasks`), and may watch one task (room `task:<id>`).
// examples/tasks/ws-client.ts is a client for it. `sends` lists what the server sends, for the
// contract (`jararaca-host asyncapi`, the generated WebSocket client).
import { useWsManager, OnConnect, OnMessage, WebSocketEndpoint, defineWsMessage, type WsConnection } from 'jararaca/websocket';
import { taskSchema } from './task-store.ts';

const watched = {
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: { id: { type: 'string', format: 'uuid' } },
} as const;

const Watch = defineWsMessage('task.watch', watched);

const Hello = defineWsMessage('hello', { type: 'object', required: ['connectionId'], properties: { connectionId: { type: 'string' } } } as const);
const Watching = defineWsMessage('task.watching', watched);
const Created = defineWsMessage('task.created', taskSchema);
const Done = defineWsMessage('task.done', taskSchema);

@WebSocketEndpoint('/ws', { messages: [Watch], sends: [Hello, Watching, Created, Done] })
export class LiveTasks {
  @OnConnect()
  connect(connection: WsConnection) {
    useWsManager().join(connection.id, 'tasks');
    return Hello.create({ connectionId: connection.id });
  }

  @OnMessage(Watch)
  watch(data: typeof Watch.Data, connection: WsConnection) {
    useWsManager().join(connection.id, `task:${data.id}`);
    return Watching.create(data);
  }
}
