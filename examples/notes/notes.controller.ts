// Notes become tasks in the tasks service. Each handler calls it through the `tasksApi` provider
// (./tasks-api.ts): typed calls, answers typed by the tasks service's schemas.
import { Delete, Get, HttpError, Post, RestController, type FastifyRequest } from 'jararaca';
import type { TasksClient, TasksGetResponse } from './tasks-client/index.js';

const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', format: 'uuid' } } } as const;

/** The tasks service answered with an error: its status for a client error, 502 otherwise. */
function upstream(status: number, error: { message: string }): HttpError {
  return new HttpError(status >= 500 ? 502 : status, `the tasks service answered ${status}: ${error.message}`);
}

@RestController('/notes')
export class NotesController {
  readonly #tasks: TasksClient;

  constructor({ tasksApi }: { tasksApi: TasksClient }) {
    this.#tasks = tasksApi;
  }

  @Post('/', {
    status: 201,
    schema: {
      summary: 'File a note as a task in the tasks service',
      body: { type: 'object', additionalProperties: false, required: ['text'], properties: { text: { type: 'string', minLength: 1, maxLength: 200 } } },
    },
  })
  async create(request: FastifyRequest<{ Body: { text: string } }>): Promise<{ text: string; task: TasksGetResponse }> {
    const { data, error, response } = await this.#tasks.tasksCreate({ body: { title: request.body.text } });
    if (error) throw upstream(response.status, error);
    return { text: request.body.text, task: data };
  }

  @Get('/:id', { schema: { params: idParams } })
  async get(request: FastifyRequest<{ Params: { id: string } }>): Promise<TasksGetResponse> {
    const { data, error, response } = await this.#tasks.tasksGet({ params: { path: { id: request.params.id } } });
    if (error) throw upstream(response.status, error);
    return data;
  }

  @Delete('/:id', { status: 204, schema: { params: idParams } })
  async remove(request: FastifyRequest<{ Params: { id: string } }>): Promise<void> {
    const { error, response } = await this.#tasks.tasksRemove({ params: { path: { id: request.params.id } } });
    if (error) throw upstream(response.status, error);
  }
}
