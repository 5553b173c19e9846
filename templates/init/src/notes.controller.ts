import { randomUUID } from 'node:crypto';
import { Get, HttpError, Post, RestController, ScheduledAction, useExecution, type FastifyRequest } from 'jararaca';
import { useSession } from 'jararaca/knex-session';
import { usePublisher } from 'jararaca/message-bus';
import { useWsManager } from 'jararaca/websocket';
import { NoteCreated } from './messages.ts';

export interface Note {
  id: string;
  text: string;
  status: 'new' | 'seen';
}

@RestController('/notes')
export class NotesController {
  @Post('/', {
    status: 201,
    schema: { body: { type: 'object', additionalProperties: false, required: ['text'], properties: { text: { type: 'string', minLength: 1, maxLength: 500 } } } },
  })
  async create(request: FastifyRequest<{ Body: { text: string } }>): Promise<Note> {
    const note: Note = { id: randomUUID(), text: request.body.text, status: 'new' };
    await useSession()('notes').insert(note);
    // Both leave after the insert committed, and not at all if anything fails.
    usePublisher().publish(NoteCreated, { id: note.id });
    useWsManager().send(['notes'], { type: 'note.created', data: note });
    return note;
  }

  @Get('/:id', { schema: { params: { type: 'object', required: ['id'], properties: { id: { type: 'string', format: 'uuid' } } } } })
  async get(request: FastifyRequest<{ Params: { id: string } }>): Promise<Note> {
    const note = (await useSession()('notes').where({ id: request.params.id }).first()) as Note | undefined;
    if (!note) throw HttpError.notFound(`note ${request.params.id} not found`);
    return note;
  }

  /** Every minute (one replica fires each slot when several schedulers run). */
  @ScheduledAction('0 * * * * *', { name: 'countNotes' })
  async countNotes(): Promise<void> {
    const [row] = await useSession()('notes').count({ count: '*' });
    useExecution().logger.info({ count: Number(row?.count ?? 0) }, 'notes so far');
  }
}
