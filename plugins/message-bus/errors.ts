// A publish the broker did not confirm in time, after the execution's other work (its
// transaction) was done: a 503 with Retry-After, so a client knows to try again rather than
// read a bare 500. Only without the outbox: with it, nothing is sent to the broker in the execution.
import { JararacaError } from 'jararaca';

export class BusUnavailableError extends JararacaError {
  readonly statusCode = 503;
  /** Seconds a client should wait before retrying (the HTTP role sends it as Retry-After). */
  readonly retryAfterSeconds: number;
  constructor(message: string, retryAfterSeconds: number, options?: { cause?: unknown }) {
    super('JRR_BUS_UNAVAILABLE', message, options);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}
