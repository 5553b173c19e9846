import { defineMessage, MessageBusController, MessageHandler, type PayloadOf } from 'jararaca';
import { useSession } from 'jararaca/knex-session';
import { useWsManager } from 'jararaca/websocket';

export const NoteCreated = defineMessage({
  name: 'NoteCreated',
  topic: 'notes.created',
  kind: 'event',
  schema: { type: 'object', additionalProperties: false, required: ['id'], properties: { id: { type: 'string', format: 'uuid' } } } as const,
});

@MessageBusController()
export class NoteWorker {
  /** In its own transaction; the message is acknowledged after it committed. */
  @MessageHandler(NoteCreated, { name: 'markSeen' })
  async markSeen(message: PayloadOf<typeof NoteCreated>): Promise<void> {
    const [note] = await useSession()('notes').where({ id: message.id }).update({ status: 'seen' }, ['id', 'text', 'status']);
    if (!note) throw new Error(`note ${message.id} not found`); // retried, then dead-lettered
    useWsManager().send(['notes'], { type: 'note.seen', data: note });
  }
}
