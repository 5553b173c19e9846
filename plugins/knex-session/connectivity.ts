// Knows whether the database answers. At start and after a lost connection it probes with
// `SELECT 1`, backing off up to maxDelayMs, and runs `onConnected` (pending migrations) before
// declaring itself ready. Never throws: an unreachable database makes the service not ready,
// it does not crash it.
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import { isConnectionError } from './errors.ts';

export interface ConnectivityOptions {
  knex: Knex;
  /** Already bound to the connection's name (its lines carry `connection` once). */
  logger: Logger;
  /** What logs and /health/ready name: 'db.internal:5432'. */
  target: string;
  connection: string;
  /** Runs once after the first successful probe (migrations); its failure is retried too. */
  onConnected?: () => Promise<void>;
  initialDelayMs?: number;
  maxDelayMs?: number;
}

export class Connectivity {
  readonly #o: ConnectivityOptions;
  #ready = false;
  #detail = 'connecting';
  #probing: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #wake: (() => void) | undefined;
  #stopped = false;
  #initialized = false;

  constructor(options: ConnectivityOptions) {
    this.#o = options;
  }

  get ready(): boolean {
    return this.#ready;
  }

  get detail(): string | undefined {
    return this.#ready ? undefined : this.#detail;
  }

  /** One attempt now; if it fails, keeps probing in the background. Resolves after the first attempt. */
  async start(): Promise<void> {
    if (await this.#attempt()) return;
    this.#o.logger.error(
      { target: this.#o.target },
      `database unreachable at ${this.#o.target} (connection '${this.#o.connection}'): ${this.#detail}; retrying in the background, /health/ready answers 503 until it answers`,
    );
    this.#probeInBackground();
  }

  /** A query failed with a connection error: not ready until a probe succeeds. */
  lost(err: unknown): void {
    if (this.#stopped || !this.#ready) return;
    this.#ready = false;
    this.#detail = `database unreachable at ${this.#o.target}: ${(err as Error).message}`;
    this.#o.logger.error({ target: this.#o.target, err }, `lost the database at ${this.#o.target}; probing until it returns`);
    this.#probeInBackground();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#wake?.();
  }

  #probeInBackground(): void {
    this.#probing ??= (async () => {
      let delay = this.#o.initialDelayMs ?? 250;
      while (!this.#stopped) {
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
          this.#timer = setTimeout(resolve, delay);
        });
        if (this.#stopped) break;
        let ok: boolean;
        try {
          ok = await this.#attempt();
        } catch (err) {
          this.#detail = `migrations failed: ${(err as Error).message}`;
          this.#o.logger.error({ err }, `pending migrations failed on ${this.#o.target}; the service stays not ready until it restarts with fixed migrations`);
          break;
        }
        if (ok) {
          this.#o.logger.info({ target: this.#o.target }, `database at ${this.#o.target} is reachable`);
          break;
        }
        delay = Math.min(delay * 2, this.#o.maxDelayMs ?? 5000);
      }
    })().finally(() => (this.#probing = undefined));
  }

  // True when the database answered (and migrations ran). A failing migration is not retried:
  // it throws (at start: the host does not start) since waiting will not fix it.
  async #attempt(): Promise<boolean> {
    try {
      await this.#o.knex.raw('select 1');
    } catch (err) {
      this.#ready = false;
      this.#detail = `database unreachable at ${this.#o.target}: ${describe(err)}`;
      this.#o.logger.debug({ err }, 'database probe failed');
      return false;
    }
    if (!this.#initialized && this.#o.onConnected) {
      this.#detail = 'running migrations';
      try {
        await this.#o.onConnected();
      } catch (err) {
        if (!isConnectionError(err)) throw err;
        this.#detail = `database unreachable at ${this.#o.target} while migrating: ${describe(err)}`;
        return false;
      }
    }
    this.#initialized = true;
    this.#ready = true;
    return true;
  }
}

function describe(err: unknown): string {
  if (err instanceof AggregateError && err.errors[0]) return describe(err.errors[0]);
  const e = err as NodeJS.ErrnoException;
  return e.code && !String(e.message).includes(e.code) ? `${e.code} ${e.message}` : String(e.message);
}
