// Drain-with-deadline, for every role's stop(): wait for what is in flight up to a deadline,
// then hand what is left to a hook (abort its signals, return its messages to their queues).
import { systemTimers, type Timers } from './abort.ts';

export interface DrainOptions<T> {
  timeoutMs: number;
  /**
   * Called once at the deadline with the entries still running; its promise is awaited (keep it
   * bounded: abort, requeue, cut connections — do not wait for the handlers themselves).
   */
  onDeadline?(left: T[]): unknown;
  timers?: Timers;
}

/**
 * Waits until every entry of `inFlight` (as it is now) finished — `done(entry)` settled — at most
 * `timeoutMs`; at the deadline the hook gets those still running. Returns 'done', or 'deadline'
 * once the hook ran.
 */
export async function drain<T>(inFlight: Iterable<T>, done: (entry: T) => PromiseLike<unknown>, options: DrainOptions<T>): Promise<'done' | 'deadline'> {
  const entries = [...inFlight];
  if (!entries.length) return 'done';
  const settled = new Set<T>();
  const all = Promise.all(
    entries.map((entry) =>
      Promise.resolve(done(entry)).then(
        () => settled.add(entry),
        () => settled.add(entry),
      ),
    ),
  );
  const timers = options.timers ?? systemTimers;
  let timer: unknown;
  const deadline = new Promise<'deadline'>((resolve) => (timer = timers.setTimer(() => resolve('deadline'), options.timeoutMs)));
  const result = await Promise.race([all.then(() => 'done' as const), deadline]);
  timers.clearTimer(timer);
  if (result === 'deadline') await options.onDeadline?.(entries.filter((e) => !settled.has(e)));
  return result;
}
