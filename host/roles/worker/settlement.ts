// Explicit settlement: a handler that knows better than the retry policy says so by throwing
// Unrecoverable (dead-letter now, with the reason) or RetryLater (retry after this delay), or by
// calling ctx.deadLetter() / ctx.retryLater(), which throw them. Either way the execution fails,
// so its transaction rolls back and its staged messages are dropped, as for any failure.
import { ArgumentError, JararacaError } from '../../core/errors.ts';

/** Thrown by a handler: the message goes to its dead-letter queue at once, with `reason`. */
export class Unrecoverable extends JararacaError {
  constructor(reason: string, options?: { cause?: unknown }) {
    super('JRR_MESSAGE_UNRECOVERABLE', reason, options);
  }
}

/** Thrown by a handler: the message is retried after `delayMs` (it counts as an attempt). */
export class RetryLater extends JararacaError {
  readonly delayMs: number;
  constructor(delayMs: number, reason = `retry requested in ${delayMs} ms`, options?: { cause?: unknown }) {
    if (!(Number.isFinite(delayMs) && delayMs >= 0 && delayMs <= MAX_RETRY_DELAY_MS)) {
      throw new ArgumentError('JRR_RETRY_DELAY', `retryLater(): delayMs must be a number from 0 to ${MAX_RETRY_DELAY_MS} (7 days), got ${String(delayMs)}`);
    }
    super('JRR_MESSAGE_RETRY_LATER', reason, options);
    this.delayMs = delayMs;
  }
}

const MAX_RETRY_DELAY_MS = 7 * 24 * 3600 * 1000;

/** The explicit settlement an error asks for: itself or a cause up the chain (an interceptor may wrap it). */
export function explicitSettlement(err: unknown): Unrecoverable | RetryLater | undefined {
  for (let e = err, depth = 0; e && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof Unrecoverable || e instanceof RetryLater) return e;
  }
  return undefined;
}

/**
 * The attempt a delivery claims, checked against the handler's policy: a header out of range
 * (not an integer from 1 to maxAttempts) did not come from the framework's own retries, so it
 * counts as the first attempt — a publisher cannot make a message skip its retries.
 */
export function checkedAttempt(attempt: number, maxAttempts: number): { attempt: number; forged: boolean } {
  if (Number.isInteger(attempt) && attempt >= 1 && attempt <= maxAttempts) return { attempt, forged: false };
  return { attempt: 1, forged: true };
}

// Shared by every MessageContext (no closure per message).
export function retryLater(delayMs: number, reason?: string): never {
  throw new RetryLater(delayMs, reason);
}

export function deadLetter(reason: string): never {
  throw new Unrecoverable(reason);
}
