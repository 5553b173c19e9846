// The console's view of the scheduled actions: cron, time zone and next fires (from the
// handlers, in any process), the history and pause flags (from the scheduler lock's store, the
// one every scheduler replica uses), and "run now": exclusive across replicas through the
// action's running lease, run through the interceptor onion, recorded in the history.
import {
  DEFAULT_HISTORY_RETENTION,
  HttpError,
  parseCron,
  replicaId,
  runWithTimeout,
  serviceSchedulerLock,
  type ActionPause,
  type ActionRun,
  type CronSchedule,
  type FastifyRequest,
  type HandlerInfo,
  type PluginContext,
  type ScheduledFire,
  type SchedulerLock,
} from 'jararaca';
import type { ConsoleUser } from './access.ts';

export interface ConsoleAction {
  name: string;
  handler: HandlerInfo<'scheduled'>;
  schedule: CronSchedule;
  exclusive: boolean;
  overlap: string;
  timeoutMs?: number;
}

// How far back "missed slots" look: slots with no run in the history.
const MISSED_WINDOW_MS = 60 * 60 * 1000;

type Context = Pick<PluginContext<unknown>, 'service' | 'handlers' | 'execute' | 'capabilities'>;

export class ScheduledActions {
  readonly #ctx: Context;
  readonly actions: ConsoleAction[];
  #lock: Promise<SchedulerLock> | undefined;

  constructor(ctx: Context) {
    this.#ctx = ctx;
    const zone = ctx.service.scheduler?.timezone ?? 'UTC';
    this.actions = ctx.handlers.ofKind('scheduled').flatMap((handler) => {
      const spec = handler.spec;
      try {
        // The scheduler role already refused a bad cron at start; here such an action is left out.
        const schedule = parseCron(spec.cron, spec.timezone ?? zone);
        return [{ name: spec.name ?? handler.name, handler, schedule, exclusive: spec.exclusive ?? true, overlap: spec.overlap ?? 'skip', timeoutMs: spec.timeoutMs }];
      } catch {
        return [];
      }
    });
  }

  /** The store, opened on first use (the database may still be connecting at start). */
  lock(): Promise<SchedulerLock> {
    this.#lock ??= (async () => {
      const { lock } = serviceSchedulerLock(this.#ctx);
      await lock.open();
      return lock;
    })().catch((err: unknown) => {
      this.#lock = undefined;
      throw err;
    });
    return this.#lock;
  }

  async close(): Promise<void> {
    const lock = await this.#lock?.catch(() => undefined);
    this.#lock = undefined;
    await lock?.close();
  }

  find(name: string): ConsoleAction {
    const action = this.actions.find((a) => a.name === name);
    if (!action) throw HttpError.notFound(`no scheduled action '${name}' (actions: ${this.actions.map((a) => a.name).join(', ') || 'none'})`);
    return action;
  }

  async list(now = Date.now()) {
    const lock = await this.lock();
    const pauses = (await lock.pauses?.()) ?? {};
    return Promise.all(
      this.actions.map(async (a) => {
        const runs = (await lock.runs?.(a.name, { limit: 200 })) ?? [];
        return {
          name: a.name,
          handler: a.handler.name,
          cron: a.schedule.expression,
          timezone: a.schedule.timezone,
          exclusive: a.exclusive,
          overlap: a.overlap,
          timeoutMs: a.timeoutMs ?? null,
          next: nextFires(a.schedule, now, 3).map(iso),
          paused: pauses[a.name] ?? null,
          lastRun: runs[0] ?? null,
          missed: pauses[a.name] ? [] : missedSlots(a.schedule, runs, now).map(iso),
        };
      }),
    );
  }

  async runs(name: string, limit: number, before?: number): Promise<ActionRun[]> {
    this.find(name);
    const lock = await this.lock();
    if (!lock.runs) throw new HttpError(501, `the scheduler lock (${lock.kind}) keeps no history of runs`);
    return lock.runs(name, { limit, before });
  }

  async setPaused(name: string, user: ConsoleUser | undefined): Promise<ActionPause | null> {
    this.find(name);
    const lock = await this.lock();
    if (!lock.setPaused) throw new HttpError(501, `the scheduler lock (${lock.kind}) cannot pause actions`);
    const pause = user ? { by: user.name, at: Date.now() } : undefined;
    await lock.setPaused(name, pause);
    return pause ?? null;
  }

  /** Runs the action once, now, in this process; 409 while a run holds its lease on any replica. */
  async runNow(name: string, user: ConsoleUser, logger: FastifyRequest['log']): Promise<ActionRun> {
    const action = this.find(name);
    const lock = await this.lock();
    const ttl = this.#ctx.service.scheduler?.leaseTtlMs ?? 5000;
    const lease = await lock.acquire(`run:${name}`, ttl);
    if (!lease) throw HttpError.conflict(`'${name}' is running on a replica now: try again when it finished`);
    const renew = setInterval(() => void lease.renew().catch(() => undefined), ttl / 3);
    const slot = Date.now();
    const controller = new AbortController();
    const fire = { action: name, slot: new Date(slot), firedAt: new Date(slot), signal: controller.signal } satisfies ScheduledFire;
    let outcome: ActionRun['outcome'] = 'ok';
    let error: string | undefined;
    try {
      await this.#ctx.execute(
        { kind: 'scheduled', handler: action.handler, logger: logger.child({ action: name, manual: true }), details: { slot: fire.slot, firedAt: fire.firedAt, cron: action.schedule.expression, action: name }, signal: controller.signal },
        (execution) =>
          runWithTimeout(Promise.resolve(this.#ctx.handlers.invoke(execution, action.handler, { ...fire, signal: execution.signal })), {
            timeoutMs: action.timeoutMs,
            what: name,
            abort: (reason) => controller.abort(reason),
          }),
      );
    } catch (err) {
      outcome = controller.signal.aborted ? 'timeout' : 'failed';
      error = err instanceof Error ? err.message : String(err);
    } finally {
      clearInterval(renew);
      await lease.release().catch(() => undefined);
    }
    const run: ActionRun = { action: name, slot, trigger: 'manual', outcome, firedAt: slot, lagMs: 0, durationMs: Date.now() - slot, replica: replicaId(), by: user.name, ...(error ? { error } : {}) };
    const history = this.#ctx.service.scheduler?.history;
    await lock.recordRun?.(run, { perAction: history?.runs ?? DEFAULT_HISTORY_RETENTION.perAction, maxAgeMs: history?.maxAgeMs ?? DEFAULT_HISTORY_RETENTION.maxAgeMs });
    return run;
  }
}

const iso = (t: number) => new Date(t).toISOString();

function nextFires(schedule: CronSchedule, now: number, count: number): number[] {
  const out: number[] = [];
  for (let t = schedule.next(now); t !== undefined && out.length < count; t = schedule.next(t)) out.push(t);
  return out;
}

/** Slots of the last hour (up to 100, not the latest second) that no replica recorded a run for. */
function missedSlots(schedule: CronSchedule, runs: readonly ActionRun[], now: number): number[] {
  const seen = new Set(runs.filter((r) => r.trigger !== 'manual').map((r) => r.slot));
  const oldestKnown = runs.length ? Math.min(...runs.map((r) => r.slot)) : now;
  // Before the oldest run the history may be trimmed: only slots after it can be told missed.
  const from = Math.max(now - MISSED_WINDOW_MS, oldestKnown - 1);
  const missed: number[] = [];
  for (let t = schedule.next(from); t !== undefined && t < now - 5000 && missed.length < 100; t = schedule.next(t)) if (!seen.has(t)) missed.push(t);
  return missed;
}
