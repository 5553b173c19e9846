// One process's locks: for a single scheduler replica, for non-exclusive actions, and for tests.
import type { Clock } from './clock.ts';
import type { ActionPause, ActionRun, HistoryRetention, Lease, SchedulerLock } from './lock.ts';

// History and pauses are the process's, shared by every MemoryLock in it: the console (http
// role) and the scheduler role of one `--role all` process see the same ones.
const history = new Map<string, ActionRun[]>();
const paused = new Map<string, ActionPause>();

export class MemoryLock implements SchedulerLock {
  readonly kind = 'memory';
  readonly where = 'in process';
  readonly #clock: Clock;
  readonly #claimed = new Map<string, number>();
  readonly #leases = new Map<string, { token: symbol; expiresAt: number }>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  async open(): Promise<void> {}

  async claim(action: string, slot: number): Promise<boolean> {
    const last = this.#claimed.get(action);
    if (last !== undefined && last >= slot) return false;
    this.#claimed.set(action, slot);
    return true;
  }

  async acquire(key: string, ttlMs: number): Promise<Lease | undefined> {
    const held = this.#leases.get(key);
    if (held && held.expiresAt > this.#clock.now()) return undefined;
    const token = Symbol(key);
    this.#leases.set(key, { token, expiresAt: this.#clock.now() + ttlMs });
    return {
      renew: async () => {
        const current = this.#leases.get(key);
        if (current?.token !== token) return false;
        current.expiresAt = this.#clock.now() + ttlMs;
        return true;
      },
      release: async () => {
        if (this.#leases.get(key)?.token === token) this.#leases.delete(key);
      },
    };
  }

  async recordRun(run: ActionRun, retention: HistoryRetention): Promise<void> {
    const runs = history.get(run.action) ?? [];
    runs.unshift(run);
    const oldest = this.#clock.now() - retention.maxAgeMs;
    history.set(run.action, runs.slice(0, retention.perAction).filter((r) => (r.firedAt ?? r.slot) >= oldest));
  }

  async runs(action: string, options: { limit: number; before?: number }): Promise<ActionRun[]> {
    const runs = history.get(action) ?? [];
    return runs.filter((r) => options.before === undefined || r.slot < options.before).slice(0, options.limit);
  }

  async setPaused(action: string, pause: ActionPause | undefined): Promise<void> {
    if (pause) paused.set(action, pause);
    else paused.delete(action);
  }

  async pauses(): Promise<Record<string, ActionPause>> {
    return Object.fromEntries(paused);
  }

  async close(): Promise<void> {}
}
