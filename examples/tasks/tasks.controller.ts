import type { FastifyRequest } from 'fastify';
import { Get, HttpError, Post, RestController } from 'jararaca';
import type { Page } from 'jararaca/knex-session';
import type { Task, TaskRepository } from './task-store.ts';

const taskSchema = {
  type: 'object',
  required: ['id', 'title', 'status', 'createdAt'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    title: { type: 'string' },
    status: { type: 'string', enum: ['pending', 'done'] },
    createdAt: { type: 'string', format: 'date-time' },
  },
} as const;

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
    return this.#tasks.create(request.body.title);
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

  @Get('/:id', { schema: { params: { type: 'object', properties: { id: { type: 'string', format: 'uuid' } } }, response: { 200: taskSchema } } })
  async get(request: FastifyRequest<{ Params: { id: string } }>): Promise<Task> {
    const task = await this.#tasks.get(request.params.id);
    if (!task) throw HttpError.notFound(`task ${request.params.id} not found`);
    return task;
  }
}
