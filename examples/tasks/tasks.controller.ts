import type { FastifyRequest } from 'fastify';
import { Delete, Get, Post, RestController, ScheduledAction, UseGuard, type ScheduledFire } from 'jararaca';
import type { Page } from 'jararaca/knex-session';
import { usePublisher } from 'jararaca/message-bus';
import { useWsManager } from 'jararaca/websocket';
import { ApiKeyGuard } from './api-key.guard.ts';
import { HelloTask, TaskCreated } from './messages.ts';
import { taskSchema, type Task, type TaskRepository } from './task-store.ts';

@RestController('/tasks')
export class TasksController {
  readonly #tasks: TaskRepository;

  constructor({ tasks }: { tasks: TaskRepository }) {
    this.#tasks = tasks;
  }

  @Post('/', {
    status: 201,
    schema: {
      body: {
        type: 'object',
        additionalProperties: false,
        required: ['title'],
        properties: { title: { type: 'string', minLength: 1, maxLength: 200 } },
      },
      response: { 201: taskSchema },
    },
  })
  async create(request: FastifyRequest<{ Body: { title: string } }>): Promise<Task> {
    const task = await this.#tasks.create(request.body.title);
    // Both are staged: the message is written to the outbox in the insert's transaction (the
    // relay sends it after the commit, whether or not the broker is up right now), and nothing
    // leaves if anything fails.
    usePublisher().publish(TaskCreated, { id: task.id });
    useWsManager().send(['tasks', `task:${task.id}`], { type: 'task.created', data: task });
    return task;
  }

  /** The reference's HelloTask: POST /tasks/hello { "name": "ana" } → a worker logs a greeting. */
  @Post('/hello', {
    status: 202,
    schema: {
      body: { type: 'object', additionalProperties: false, required: ['name'], properties: { name: { type: 'string', minLength: 1, maxLength: 100 } } },
      response: { 202: { type: 'object', required: ['queued'], properties: { queued: { type: 'boolean', const: true } } } },
    },
  })
  async hello(request: FastifyRequest<{ Body: { name: string } }>): Promise<{ queued: true }> {
    usePublisher().publish(HelloTask, { name: request.body.name });
    return { queued: true };
  }

  /**
   * The reference's scheduled job: tasks still pending after 30 s get their TaskCreated again.
   * Every fire is its own execution (session, publisher); with several schedulers running, each
   * slot fires on exactly one.
   */
  @ScheduledAction('*/5 * * * * *', { name: 'republishStaleTasks', timeoutMs: 4000 })
  async republishStaleTasks({ slot, signal }: ScheduledFire): Promise<void> {
    const stale = await this.#tasks.pendingSince(new Date(slot.getTime() - 30_000), 500);
    const publisher = usePublisher();
    for (const task of stale) {
      if (signal.aborted) break;
      publisher.publish(TaskCreated, { id: task.id });
    }
  }

  // ?status=done&title[contains]=milk&createdAt[gte]=2024-05-01&page=1&pageSize=20&sort=-createdAt
  // (see docs/persistence.md); an unknown field or operator is a 400.
  @Get('/', {
    schema: {
      response: {
        200: { type: 'object', properties: { items: { type: 'array', items: taskSchema }, total: { type: 'integer' }, page: { type: 'integer' }, pageSize: { type: 'integer' } } },
      },
    },
  })
  async list(request: FastifyRequest<{ Querystring: Record<string, unknown> }>): Promise<Page<Task>> {
    return this.#tasks.list(request.query);
  }

  // A missing task is TaskNotFound (task-store.ts), declared a 404 once: no try/catch here.
  @Get('/:id', { schema: { params: { type: 'object', required: ['id'], properties: { id: { type: 'string', format: 'uuid' } } }, response: { 200: taskSchema } } })
  async get(request: FastifyRequest<{ Params: { id: string } }>): Promise<Task> {
    return this.#tasks.get(request.params.id);
  }

  /**
   * Needs the API key (x-api-key: config.apiKey); 204 when deleted, 404 when there is no such task.
   * `security` names the scheme the api-key plugin declares, so the OpenAPI document says so.
   */
  @Delete('/:id', { status: 204, schema: { params: { type: 'object', required: ['id'], properties: { id: { type: 'string', format: 'uuid' } } }, security: [{ apiKey: [] }] } })
  @UseGuard(ApiKeyGuard)
  async remove(request: FastifyRequest<{ Params: { id: string } }>): Promise<void> {
    await this.#tasks.remove(request.params.id);
  }
}
