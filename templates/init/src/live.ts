import { OnConnect, useWsManager, WebSocketEndpoint, type WsConnection } from 'jararaca/websocket';

/** Clients on /ws hear note.created and note.seen. */
@WebSocketEndpoint('/ws')
export class LiveNotes {
  @OnConnect()
  connect(connection: WsConnection) {
    useWsManager().join(connection.id, 'notes');
    return { type: 'hello', data: { connectionId: connection.id } };
  }
}
