// One process's locks: for a single scheduler replica, for non-exclusive actions, and for tests.
import type { Clock } from './clock.ts';
import type { Lease, SchedulerLock } from './lock.ts';

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

  async close(): Promise<void> {}
}
