// What settle() waits for: executions in flight (HTTP requests, messages, fires, WebSocket
// messages, host.run), the transports' own queues (a memory:// broker's deliveries and delays),
// then a short quiet period for what follows a commit without an execution (WebSocket frames
// crossing the loopback).
import { JararacaError } from '../core/errors.ts';

export class Activity {
  #inFlight = 0;
  #started = 0;

  /** Counts `work` as in flight until it settles. */
  track<T>(work: () => Promise<T>): Promise<T> {
    this.#inFlight++;
    this.#started++;
    let promise: Promise<T>;
    try {
      promise = work();
    } catch (err) {
      this.#inFlight--;
      throw err;
    }
    return promise.finally(() => {
      this.#inFlight--;
    });
  }

  /**
   * Resolves once nothing is in flight, every `idle()` says so, and that held for `quietMs`
   * with nothing new started. Rejects after `timeoutMs` saying what was still busy.
   */
  async settle(idle: () => string | undefined, { timeoutMs = 10000, quietMs = 20 } = {}): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let quietSince: number | undefined;
    let startedAt = this.#started;
    for (;;) {
      const busy = this.#inFlight ? `${this.#inFlight} execution(s) in flight` : idle();
      if (busy || this.#started !== startedAt) {
        quietSince = undefined;
        startedAt = this.#started;
        if (Date.now() > deadline) throw new JararacaError('JRR_TEST_TIMEOUT', `settle(): not idle after ${timeoutMs} ms: ${busy ?? 'work kept starting'}`);
      } else if (quietSince === undefined) quietSince = Date.now();
      else if (Date.now() - quietSince >= quietMs) return;
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }
}
