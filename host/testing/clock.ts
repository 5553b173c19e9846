// A clock the test moves by hand, for the scheduler role of a test host: `advance(ms)` runs the
// timers that fall due, in order, so scheduled actions fire at their slots without waiting.
import type { Clock } from '../roles/scheduler/clock.ts';

export class TestClock implements Clock {
  #now: number;
  #timers = new Map<number, { at: number; fn: () => void }>();
  #ids = 0;

  constructor(start: Date | string | number = Date.now()) {
    this.#now = start instanceof Date ? start.getTime() : typeof start === 'string' ? Date.parse(start) : start;
  }

  now = (): number => this.#now;

  setTimer = (fn: () => void, ms: number): unknown => {
    const id = ++this.#ids;
    this.#timers.set(id, { at: this.#now + Math.max(0, ms), fn });
    return id;
  };

  clearTimer = (handle: unknown): void => void this.#timers.delete(handle as number);

  sleep = (ms: number): Promise<void> => new Promise((resolve) => this.setTimer(resolve, ms));

  /** Moves time forward by `ms`, running each timer that falls due (earliest first), letting what it started proceed in between. */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    for (;;) {
      await turns();
      const due = [...this.#timers].filter(([, t]) => t.at <= target).sort((a, b) => a[1].at - b[1].at || a[0] - b[0])[0];
      if (!due) break;
      this.#timers.delete(due[0]);
      this.#now = Math.max(this.#now, due[1].at);
      due[1].fn();
    }
    this.#now = target;
    await turns();
  }
}

async function turns(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
}
