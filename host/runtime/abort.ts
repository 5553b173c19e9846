// Why an execution's signal aborted, one class per reason and the same in every role, so an
// interceptor or handler can tell a timeout from a shutdown from a client that left
// (`signal.reason instanceof TimeoutAbort`), and run-with-timeout, shared by the worker and
// the scheduler.
import { JararacaError } from '../core/errors.ts';

/** The handler ran longer than its `timeoutMs` (a message handler, a scheduled action). */
export class TimeoutAbort extends JararacaError {
  readonly timeoutMs: number;
  constructor(what: string, timeoutMs: number) {
    super('JRR_TIMEOUT', `${what} did not finish within timeoutMs ${timeoutMs}: its work is rolled back; make it faster, or raise its timeoutMs`);
    this.timeoutMs = timeoutMs;
  }
}

/** The process is stopping and its shutdown deadline passed while the execution still ran. */
export class ShutdownAbort extends JararacaError {
  constructor(role: string) {
    super('JRR_SHUTDOWN', `the ${role} role is stopping and its shutdownTimeoutMs passed: the execution was cut short (raise shutdownTimeoutMs to let it finish)`);
  }
}

/** The client disconnected (an HTTP request before its response, a WebSocket while its message ran). */
export class ClientGoneAbort extends JararacaError {
  constructor(what: string) {
    super('JRR_CLIENT_GONE', `the client went away before ${what} finished: nobody reads the answer`);
  }
}

/** Timers the runtime arms: the system's, or a test's fake clock (the scheduler's Clock fits). */
export interface Timers {
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
}

export const systemTimers: Timers = {
  setTimer: (fn, ms) => setTimeout(fn, ms),
  clearTimer: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface TimeoutOptions {
  /** No timeout when undefined: `work` is returned as it is. */
  timeoutMs: number | undefined;
  /** Named in the TimeoutAbort's message (the handler or action). */
  what: string;
  /** Called at the deadline with the reason: abort the execution's signal with it. */
  abort(reason: TimeoutAbort): void;
  /** Told when `work` ends (or fails) after the timeout already won. */
  onLate?(err: unknown): void;
  timers?: Timers;
}

/**
 * `work`, or a rejection with a TimeoutAbort after `timeoutMs`; `abort` is called with that same
 * reason first. The work is not stopped (only its signal aborts): a late end goes to `onLate`.
 */
export function runWithTimeout<T>(work: Promise<T>, options: TimeoutOptions): Promise<T> {
  const { timeoutMs } = options;
  if (timeoutMs === undefined) return work;
  const timers = options.timers ?? systemTimers;
  let timer: unknown;
  let timedOut = false;
  const deadline = new Promise<never>((_, reject) => {
    timer = timers.setTimer(() => {
      timedOut = true;
      const reason = new TimeoutAbort(options.what, timeoutMs);
      options.abort(reason);
      reject(reason);
    }, timeoutMs);
  });
  work.then(
    () => timedOut && options.onLate?.(undefined),
    (err: unknown) => timedOut && options.onLate?.(err),
  );
  return Promise.race([work, deadline]).finally(() => timers.clearTimer(timer));
}
