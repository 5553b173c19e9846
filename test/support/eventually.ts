// Waiting for something that happens in another process (a message handled, a row written, a
// client notified): poll until `check` gives a value other than undefined/false, or fail with
// what was being waited for. One helper instead of a loop per test.
import { setTimeout as sleep } from 'node:timers/promises';

export interface EventuallyOptions {
  /** Give up after this long (default 10 s). */
  timeoutMs?: number;
  /** Pause between checks (default 50 ms). */
  intervalMs?: number;
}

/** Resolves with the first truthy result of `check`; rejects naming `what` when time runs out. */
export async function eventually<T>(what: string, check: () => T | undefined | false | null | Promise<T | undefined | false | null>, options: EventuallyOptions = {}): Promise<T> {
  const { timeoutMs = 10_000, intervalMs = 50 } = options;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false && value !== null) return value;
    } catch (err) {
      lastError = err; // a check may fail while the thing is not there yet (a 404, a closed port)
    }
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${(lastError as Error).message ?? String(lastError)})` : ''}`, { cause: lastError });
    }
    await sleep(intervalMs);
  }
}
