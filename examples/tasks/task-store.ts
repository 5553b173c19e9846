import { randomUUID } from 'node:crypto';
import { DomainError } from 'jararaca';
import { crud, useSession, type Page } from 'jararaca/knex-session';

/**
 * Thrown wherever a task is missing. Declared once as a 404: a route that lets it escape
 * answers 404 with the framework's error body; a message handler does not retry it.
 */
@DomainError({ status: 404, retry: false })
export class TaskNotFound extends Error {
  readonly id: string;
  constructor(id: string) {
    super(`task ${id} not found`);
    this.id = id;
    this.name = 'TaskNotFound';
  }
}

/** A task as the API and the WebSocket frames carry it (the JSON Schema of `Task`). */
export const taskSchema = {
  type: 'object',
  required: ['id', 'title', 'status', 'createdAt'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    title: { type: 'string' },
    status: { type: 'string', enum: ['pending', 'done'] },
    createdAt: { type: 'string', format: 'date-time' },
  },
} as const;

export interface Task {
  id: string;
  title: string;
  status: 'pending' | 'done';
  createdAt: string;
}

export interface Clock {
  now(): Date;
}

export function systemClock(): Clock {
  return { now: () => new Date() };
}

/**
 * Tasks in the `tasks` table (a singleton provider). Every call runs in the current execution's
 * transaction (useSession() inside crud), committed when the request succeeds.
 */
export class TaskRepository {
  readonly #clock: Clock;
  readonly #tasks = crud<Task>('tasks', {
    columns: { id: 'id', title: 'title', status: 'status', createdAt: 'created_at' },
    filterable: { status: { enum: ['pending', 'done'] }, title: 'string', createdAt: 'date' },
    sortable: ['createdAt', 'title', 'status'],
    defaultSort: '-createdAt',
  });

  constructor({ clock }: { clock: Clock }) {
    this.#clock = clock;
  }

  create(title: string): Promise<Task> {
    return this.#tasks.create({ id: randomUUID(), title, status: 'pending', createdAt: this.#clock.now().toISOString() });
  }

  /** The task, or TaskNotFound. */
  async get(id: string): Promise<Task> {
    const task = await this.#tasks.get(id);
    if (!task) throw new TaskNotFound(id);
    return task;
  }

  /** Deletes a task, or throws TaskNotFound. */
  async remove(id: string): Promise<void> {
    // `returning`: the deleted rows, which every engine reports alike (PGlite gives no row count).
    const deleted = await useSession()('tasks').where({ id }).del(['id']);
    if (!deleted.length) throw new TaskNotFound(id);
  }

  /** Pending tasks created before `cutoff`, oldest first. */
  async pendingSince(cutoff: Date, limit: number): Promise<Array<Pick<Task, 'id'>>> {
    return useSession()('tasks').where('status', 'pending').andWhere('created_at', '<', cutoff).orderBy('created_at').limit(limit).select('id');
  }

  /** Marks a task done; false when there is no such task. */
  async markDone(id: string): Promise<Task | undefined> {
    const [row] = await useSession()('tasks').where({ id }).update({ status: 'done' }, ['id', 'title', 'status', 'created_at']);
    return row ? { id: row.id, title: row.title, status: row.status, createdAt: new Date(row.created_at).toISOString() } : undefined;
  }

  /** `query` is the request's query string: ?status=done&title[contains]=x&page=2&pageSize=10&sort=-createdAt */
  list(query: Record<string, unknown>): Promise<Page<Task>> {
    return this.#tasks.list(query);
  }
}
