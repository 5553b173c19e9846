import { randomUUID } from 'node:crypto';
import { crud, useSession, type Page } from 'jararaca/knex-session';

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

  get(id: string): Promise<Task | undefined> {
    return this.#tasks.get(id);
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
