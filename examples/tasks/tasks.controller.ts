import type { FastifyRequest } from 'fastify';
import { Get, HttpError, Post, RestController } from 'jararaca';
import type { InMemoryTaskStore, Task } from './task-store.ts';

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
  readonly #tasks: InMemoryTaskStore;

  constructor({ tasks }: { tasks: InMemoryTaskStore }) {
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

  @Get('/', { schema: { response: { 200: { type: 'object', properties: { items: { type: 'array', items: taskSchema }, total: { type: 'integer' } } } } } })
  async list(): Promise<{ items: Task[]; total: number }> {
    return this.#tasks.list();
  }

  @Get('/:id', { schema: { params: { type: 'object', properties: { id: { type: 'string' } } }, response: { 200: taskSchema } } })
  async get(request: FastifyRequest<{ Params: { id: string } }>): Promise<Task> {
    const task = this.#tasks.get(request.params.id);
    if (!task) throw HttpError.notFound(`task ${request.params.id} not found`);
    return task;
  }
}
