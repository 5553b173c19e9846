// The scheduler core, free of the host: per action, a timer armed for the next cron slot; at
// each slot, claim it (one winner across replicas), apply the overlap policy with leases, run it
// with a timeout, log one line. Time comes from an injectable Clock, so tests drive it by hand.
import { runWithTimeout, ShutdownAbort } from '../../runtime/abort.ts';
import { drain } from '../../runtime/drain.ts';
import type { CronSchedule } from './cron.ts';
import { eventChannel } from '../../core/diagnostics.ts';
import { JararacaError } from '../../core/errors.ts';
import { GuardRejected } from '../../core/middleware.ts';
import { systemClock, type Clock } from './clock.ts';
import type { CatchUpPolicy, OverlapPolicy } from './decorator.ts';
import { DEFAULT_HISTORY_RETENTION, type HistoryRetention, type Lease, type SchedulerLock } from './lock.ts';
import { MemoryLock } from './memory-lock.ts';

export interface ActionConfig {
  name: string;
  schedule: CronSchedule;
  overlap: OverlapPolicy;
  exclusive: boolean;
  timeoutMs?: number;
  catchUp: CatchUpPolicy;
}

export type FireOutcome = 'ok' | 'failed' | 'timeout' | 'aborted' | 'skipped';

/** What one slot came to: the fields of its log line. */
export interface FireRecord {
  action: string;
  slot: number;
  outcome: FireOutcome;
  /** When the run started (absent when skipped). */
  firedAt?: number;
  /** firedAt − slot. */
  lagMs?: number;
  durationMs?: number;
  /** Why it was skipped. */
  reason?: string;
  /** True for the slot fired at start by catchUp: 'latest'. */
  catchUp?: boolean;
  err?: unknown;
}

export interface SchedulerLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

export interface SchedulerOptions {
  actions: readonly ActionConfig[];
  /** Runs one fire of an action (the role runs it as an execution through the interceptors). */
  run(action: ActionConfig, fire: { slot: Date; firedAt: Date; signal: AbortSignal }): Promise<unknown>;
  /** Shared by replicas, for exclusive actions. */
  lock: SchedulerLock;
  /** For non-exclusive actions (default: in process). */
  local?: SchedulerLock;
  clock?: Clock;
  logger: SchedulerLogger;
  /** TTL of the running/buffered leases; renewed every third of it while held (default 5000). */
  leaseTtlMs?: number;
  /** How often a buffered slot checks whether the running one finished (default 100). */
  bufferPollMs?: number;
  /** After the shutdown deadline aborts the runs, how long to wait for them to return (default 1000). */
  abortGraceMs?: number;
  /** Names this process in the history of runs (replicaId()). */
  replica?: string;
  /** How much history of runs the lock's store keeps (when it keeps one). */
  retention?: HistoryRetention;
  /** Called with every fire's record (tests, benchmarks). */
  onFire?(record: FireRecord): void;
}

const slots = eventChannel('jararaca:scheduler:slot');

// Node timers hold at most ~24.8 days; far slots are re-armed in steps.
const MAX_TIMER_MS = 60 * 60 * 1000;

interface ActionState {
  config: ActionConfig;
  lock: SchedulerLock;
  /** The latest slot handled (fired, skipped or lost to another replica). */
  lastSlot: number;
  timer?: unknown;
  tasks: Set<Promise<void>>;
  runs: Set<AbortController>;
}

export class Scheduler {
  readonly #options: SchedulerOptions;
  readonly #clock: Clock;
  readonly #states: ActionState[];
  readonly #leaseTtl: number;
  readonly #writes = new Set<Promise<void>>();
  #stopping = false;
  #started = false;

  constructor(options: SchedulerOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#leaseTtl = options.leaseTtlMs ?? 5000;
    const local = options.local ?? new MemoryLock(this.#clock);
    this.#states = options.actions.map((config) => ({ config, lock: config.exclusive ? options.lock : local, lastSlot: 0, tasks: new Set(), runs: new Set() }));
  }

  /** The next slot of each action after `now`. */
  nextFires(now = this.#clock.now()): Array<{ action: string; next: number | undefined }> {
    return this.#states.map((s) => ({ action: s.config.name, next: s.config.schedule.next(Math.max(now, s.lastSlot)) }));
  }

  /** Arms every action; with catchUp: 'latest', also fires the latest past slot that no replica fired. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    const now = this.#clock.now();
    for (const state of this.#states) {
      // A slot at exactly `now` is still to come; anything before is past.
      state.lastSlot = now - 1;
      if (state.config.catchUp === 'latest') {
        const missed = state.config.schedule.latest(now - 1);
        if (missed !== undefined) this.#track(state, this.#fire(state, missed, true));
      }
      this.#arm(state);
    }
  }

  /** No new fires; running ones get `timeoutMs` to finish, then their signals abort. Leases are released. */
  async stop(timeoutMs: number): Promise<void> {
    this.#stopping = true;
    for (const state of this.#states) if (state.timer !== undefined) this.#clock.clearTimer(state.timer);
    await drain(
      this.#states.flatMap((s) => [...s.tasks]),
      (task) => task,
      {
        timeoutMs,
        timers: this.#clock,
        // Each aborted run ends within abortGraceMs (see #execute), so waiting for them is bounded.
        onDeadline: (left) => {
          const running = this.#states.reduce((n, s) => n + s.runs.size, 0);
          this.#options.logger.warn({ running, timeoutMs }, 'scheduler shutdown timeout: aborting the runs still going');
          const reason = new ShutdownAbort('scheduler');
          for (const state of this.#states) for (const run of state.runs) run.abort(reason);
          return Promise.allSettled(left);
        },
      },
    );
    await Promise.allSettled([...this.#writes]);
  }

  #track(state: ActionState, task: Promise<void>): void {
    state.tasks.add(task);
    void task.finally(() => state.tasks.delete(task));
  }

  #arm(state: ActionState): void {
    if (this.#stopping) return;
    const now = this.#clock.now();
    // From the last slot handled, never from `now`: around DST cron-parser's next() answers
    // depend on where it starts, so every slot comes from one chain of next() calls.
    const next = state.config.schedule.next(state.lastSlot);
    if (next === undefined) {
      this.#options.logger.info({ action: state.config.name }, 'scheduled action has no further slots');
      return;
    }
    state.timer = this.#clock.setTimer(() => this.#onTimer(state), Math.min(Math.max(0, next - now), MAX_TIMER_MS));
  }

  #onTimer(state: ActionState): void {
    state.timer = undefined;
    if (this.#stopping) return;
    const now = this.#clock.now();
    // The due slot is the last of the chain of next() from the last slot handled (not latest(now):
    // at a DST fall-back it would give a second, "new" slot for the repeated hour, and at a
    // spring-forward an old one). Slots before it passed while the process was paused (a long GC,
    // a suspended VM): they collapse into it.
    let due: number | undefined;
    let missed = -1;
    const { schedule } = state.config;
    for (let t = schedule.next(state.lastSlot); t !== undefined && t <= now && missed < 10000; t = schedule.next(t)) {
      // A slot passed over for a later one: 'missed' on the slot channel (metrics count them).
      if (due !== undefined && slots.hasSubscribers) slots.publish({ action: state.config.name, slot: new Date(due).toISOString(), outcome: 'missed', lagMs: now - due });
      due = t;
      missed++;
    }
    if (missed >= 10000) due = schedule.latest(now); // a very long pause: stop walking
    if (due !== undefined && due > state.lastSlot) {
      if (missed > 0) this.#options.logger.warn({ action: state.config.name, missed, slot: new Date(due).toISOString() }, 'scheduled slots missed while the process was paused; firing the latest');
      state.lastSlot = due;
      this.#track(state, this.#fire(state, due, false));
    }
    this.#arm(state);
  }

  async #fire(state: ActionState, slot: number, catchUp: boolean): Promise<void> {
    const { config } = state;
    let lease: Lease | undefined;
    try {
      if (!(await state.lock.claim(config.name, slot))) {
        this.#options.logger.debug({ action: config.name, slot: new Date(slot).toISOString() }, 'slot already fired by another replica');
        return;
      }
      // Paused from the console: checked in the shared store by whichever replica won the slot.
      if (await this.#isPaused(config.name)) {
        this.#options.logger.debug({ action: config.name, slot: new Date(slot).toISOString() }, 'slot not fired: the action is paused');
        return;
      }
      if (config.overlap !== 'allow') {
        lease = await state.lock.acquire(`run:${config.name}`, this.#leaseTtl);
        if (!lease && config.overlap === 'skip') return this.#record({ action: config.name, slot, outcome: 'skipped', reason: 'the previous run is still running', catchUp });
        if (!lease) {
          lease = await this.#waitBuffered(state);
          if (!lease) return this.#record({ action: config.name, slot, outcome: 'skipped', reason: this.#stopping ? 'the scheduler is stopping' : 'a run is already buffered', catchUp });
        }
      }
    } catch (err) {
      await lease?.release().catch(() => undefined);
      return this.#record({ action: config.name, slot, outcome: 'skipped', reason: 'the scheduler lock failed', err, catchUp });
    }
    if (this.#stopping) {
      await lease?.release().catch(() => undefined);
      return this.#record({ action: config.name, slot, outcome: 'skipped', reason: 'the scheduler is stopping', catchUp });
    }
    await this.#execute(state, slot, lease, catchUp);
  }

  /** buffer-one: take the single "buffered" place, then wait for the running lease. */
  async #waitBuffered(state: ActionState): Promise<Lease | undefined> {
    const name = state.config.name;
    const queued = await state.lock.acquire(`queue:${name}`, this.#leaseTtl);
    if (!queued) return undefined;
    const poll = this.#options.bufferPollMs ?? 100;
    let renewedAt = this.#clock.now();
    try {
      while (!this.#stopping) {
        await this.#clock.sleep(poll);
        const lease = await state.lock.acquire(`run:${name}`, this.#leaseTtl);
        if (lease) return lease;
        if (this.#clock.now() - renewedAt >= this.#leaseTtl / 3) {
          renewedAt = this.#clock.now();
          await queued.renew();
        }
      }
      return undefined;
    } finally {
      await queued.release().catch(() => undefined);
    }
  }

  async #execute(state: ActionState, slot: number, lease: Lease | undefined, catchUp: boolean): Promise<void> {
    const { config } = state;
    const clock = this.#clock;
    const controller = new AbortController();
    state.runs.add(controller);
    const firedAt = clock.now();
    const timers: unknown[] = [];

    // Keep the running lease while the handler runs. Once it is lost, another replica may start
    // the next slot while this run goes on, which overlap 'skip' promises never happens: abort
    // this run (its work rolls back) rather than let two run at once.
    let active = true;
    const renewLater = () => {
      timers[0] = clock.setTimer(async () => {
        if (!active) return;
        try {
          const kept = await lease!.renew();
          if (!kept && active) {
            this.#options.logger.warn({ action: config.name }, 'lost the running lease of a scheduled action (renewed too late): aborting this run so that two never overlap');
            controller.abort(new JararacaError('JRR_LEASE_LOST', 'the running lease was lost'));
          }
        } catch (err) {
          this.#options.logger.warn({ action: config.name, err }, 'could not renew the running lease');
        }
        if (active) renewLater();
      }, this.#leaseTtl / 3);
    };
    if (lease) renewLater();

    // After a shutdown abort, give the handler a moment to return, then stop waiting.
    const abandoned = new Promise<FireOutcome>((resolve) => {
      controller.signal.addEventListener('abort', () => {
        if (controller.signal.reason instanceof ShutdownAbort) timers[1] = clock.setTimer(() => resolve('aborted'), this.#options.abortGraceMs ?? 1000);
      });
    });
    const run = Promise.resolve().then(() => this.#options.run(config, { slot: new Date(slot), firedAt: new Date(firedAt), signal: controller.signal }));
    let err: unknown;
    let outcome: FireOutcome;
    try {
      outcome = await Promise.race([
        runWithTimeout(run, { timeoutMs: config.timeoutMs, what: config.name, abort: (reason) => controller.abort(reason), timers: clock }).then(
          // A run that returns once its signal aborted at shutdown was still cut short.
          () => (controller.signal.reason instanceof ShutdownAbort ? ('aborted' as const) : ('ok' as const)),
          (e: unknown) => {
            err = e;
            // A guard that refused: the run did not happen, it failed nothing.
            if (e instanceof GuardRejected) return 'skipped' as const;
            // A TimeoutAbort, or a lost lease (recorded as a timeout, as it always was).
            return controller.signal.reason instanceof ShutdownAbort ? ('aborted' as const) : controller.signal.aborted ? ('timeout' as const) : ('failed' as const);
          },
        ),
        abandoned,
      ]);
    } finally {
      active = false;
      for (const t of timers) if (t !== undefined) clock.clearTimer(t);
      state.runs.delete(controller);
      await lease?.release().catch((e: unknown) => this.#options.logger.warn({ action: config.name, err: e }, 'could not release the running lease'));
    }
    // A timeout or shutdown is said in `reason`; `err` is kept for what the handler threw.
    let reason = outcome === 'timeout' ? `ran longer than timeoutMs (${config.timeoutMs} ms)` : outcome === 'aborted' ? 'aborted at shutdown' : undefined;
    if (outcome !== 'failed' && err === controller.signal.reason) err = undefined;
    if (err instanceof GuardRejected) {
      reason = `skipped by the guard ${err.guard}`;
      err = undefined;
    }
    this.#record({ action: config.name, slot, outcome, firedAt, lagMs: firedAt - slot, durationMs: clock.now() - firedAt, reason, err, catchUp });
  }

  async #isPaused(action: string): Promise<boolean> {
    const pauses = await this.#options.lock.pauses?.();
    return pauses !== undefined && action in pauses;
  }

  /** The run into the lock's history, when its backend keeps one; awaited by stop(). */
  #store(record: FireRecord): void {
    const lock = this.#options.lock;
    if (!lock.recordRun) return;
    const err = record.err;
    const write = lock
      .recordRun(
        {
          action: record.action,
          slot: record.slot,
          trigger: record.catchUp ? 'catch-up' : 'schedule',
          outcome: record.outcome,
          firedAt: record.firedAt,
          lagMs: record.lagMs,
          durationMs: record.durationMs,
          replica: this.#options.replica ?? 'this process',
          reason: record.reason,
          error: err === undefined ? undefined : err instanceof Error ? err.message : String(err),
        },
        this.#options.retention ?? DEFAULT_HISTORY_RETENTION,
      )
      .catch((e: unknown) => this.#options.logger.warn({ action: record.action, err: e }, 'could not store the run in the scheduler history'));
    this.#writes.add(write);
    void write.finally(() => this.#writes.delete(write));
  }

  #record(record: FireRecord): void {
    this.#store(record);
    const line: Record<string, unknown> = {
      action: record.action,
      slot: new Date(record.slot).toISOString(),
      outcome: record.outcome,
    };
    if (record.firedAt !== undefined) {
      line.firedAt = new Date(record.firedAt).toISOString();
      line.lagMs = record.lagMs;
      line.durationMs = record.durationMs;
    }
    if (record.reason) line.reason = record.reason;
    if (record.catchUp) line.catchUp = true;
    if (record.err !== undefined) line.err = record.err;
    const log = this.#options.logger;
    const msg = `scheduled action ${record.action} ${record.outcome}`;
    if (record.outcome === 'ok') log.info(line, msg);
    else if (record.outcome === 'skipped') (record.err ? log.error : log.info).call(log, line, msg);
    else log.error(line, msg);
    this.#options.onFire?.(record);
  }
}
