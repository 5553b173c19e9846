import { randomUUID } from 'node:crypto';

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

/** Tasks kept in the process's memory (a singleton provider). */
export class InMemoryTaskStore {
  readonly #tasks = new Map<string, Task>();
  readonly #clock: Clock;

  constructor({ clock }: { clock: Clock }) {
    this.#clock = clock;
  }

  create(title: string): Task {
    const task: Task = { id: randomUUID(), title, status: 'pending', createdAt: this.#clock.now().toISOString() };
    this.#tasks.set(task.id, task);
    return task;
  }

  get(id: string): Task | undefined {
    return this.#tasks.get(id);
  }

  list(): { items: Task[]; total: number } {
    const items = [...this.#tasks.values()];
    return { items, total: items.length };
  }
}
