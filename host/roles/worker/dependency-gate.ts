// Dependencies down ≠ poison: while a plugin reports not ready (knex-session while its database
// is unreachable, the broker's own connection, Redis...), the worker stops taking deliveries —
// the messages stay in their queues — and resumes once every plugin is ready again. A handler
// that fails during such an outage is returned to its queue with its attempt unchanged, so an
// outage never walks a message to the dead-letter queue.
import type { FastifyBaseLogger } from 'fastify';
import type { HealthReport } from '../../core/plugin.ts';
import type { ConsumerHandle } from './messages.ts';

export interface DependencyGateOptions {
  /** Every plugin's health (host.health().checks). */
  checks(): Record<string, HealthReport>;
  logger: FastifyBaseLogger;
  /** How often readiness is looked at while running and while paused. */
  intervalMs?: number;
}

export class DependencyGate {
  readonly #o: DependencyGateOptions;
  readonly #consumers: ConsumerHandle[] = [];
  #paused = false;
  #switching: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  #pausedAt = 0;

  constructor(options: DependencyGateOptions) {
    this.#o = options;
  }

  get paused(): boolean {
    return this.#paused;
  }

  add(consumer: ConsumerHandle): void {
    this.#consumers.push(consumer);
  }

  start(): void {
    this.#timer = setInterval(() => void this.check(), this.#o.intervalMs ?? 250);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** Looks at readiness now, pausing or resuming the consumers to match; resolves once they did. Returns whether every dependency is ready. */
  async check(): Promise<boolean> {
    const down = Object.entries(this.#o.checks()).filter(([, report]) => !report.ready);
    if (down.length && !this.#paused) {
      this.#paused = true;
      this.#pausedAt = Date.now();
      this.#o.logger.warn(
        { code: 'JRR_DEPENDENCY_DOWN', down: Object.fromEntries(down.map(([name, r]) => [name, r.detail ?? 'not ready'])) },
        `a dependency is not ready (${down.map(([name]) => name).join(', ')}): consumers paused, messages wait in their queues`,
      );
      this.#switch((c) => c.pause?.());
    } else if (!down.length && this.#paused) {
      this.#paused = false;
      this.#o.logger.info({ pausedMs: Date.now() - this.#pausedAt }, 'every dependency is ready again: consumers resumed');
      this.#switch((c) => c.resume?.());
    }
    await this.#switching;
    return !down.length;
  }

  #switch(fn: (c: ConsumerHandle) => Promise<void> | undefined): void {
    // In order: a resume never overtakes the pause before it.
    this.#switching = this.#switching.then(() =>
      Promise.allSettled(this.#consumers.map((c) => fn(c))).then((results) => {
        for (const r of results) if (r.status === 'rejected') this.#o.logger.warn({ err: r.reason }, 'could not pause or resume a consumer');
      }),
    );
  }
}
