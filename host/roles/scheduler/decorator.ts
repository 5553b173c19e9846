// @ScheduledAction: marks a controller method to run on a cron schedule in the scheduler role.
import { handlerDecorator, type PublicMethodContext } from '../../core/decorators.ts';
import { declareHandlerKind } from '../../core/handler-kinds.ts';

// Scheduled actions are run by the host's own scheduler role.
declareHandlerKind('scheduled', { isServed: () => true });

/** What a scheduled run's execution carries. */
export interface ScheduledDetails {
  /** The cron slot this run is for. */
  readonly slot: Date;
  readonly firedAt: Date;
  readonly cron: string;
  /** The action's name. */
  readonly action: string;
}

declare module '../../core/execution.ts' {
  interface ExecutionKinds {
    /** A scheduled run: the slot; the action as declared. */
    scheduled: { details: ScheduledDetails; spec: ScheduledActionSpec };
  }
}

/** What happens to a slot that comes while the previous run of the same action is still running. */
export type OverlapPolicy = 'skip' | 'allow' | 'buffer-one';

/** What happens at start to the most recent slot missed while no scheduler ran. */
export type CatchUpPolicy = 'none' | 'latest';

export interface ScheduledActionOptions {
  /** The action's name in logs, locks and `--actions` (default `ClassName.method`). */
  name?: string;
  /** IANA time zone the cron is read in (default `scheduler.timezone`, else UTC). */
  timezone?: string;
  /** `skip` (default): drop the slot; `allow`: run concurrently; `buffer-one`: run once more right after. */
  overlap?: OverlapPolicy;
  /** true (default): one fire per slot across every scheduler replica. false: every replica fires. */
  exclusive?: boolean;
  /** Aborts the run's signal after this long and records it as failed; the next slot is not blocked. */
  timeoutMs?: number;
  /** `none` (default) or `latest`: at start, fire the most recent slot that no replica fired. */
  catchUp?: CatchUpPolicy;
}

export interface ScheduledActionSpec extends ScheduledActionOptions {
  /** 5 fields (minute first) or 6 fields (seconds first). */
  cron: string;
}

/** What a scheduled method receives. */
export interface ScheduledFire {
  /** The action's name. */
  action: string;
  /** The instant the cron expression designates for this run. */
  slot: Date;
  /** When the run actually started (slot + scheduling lag). */
  firedAt: Date;
  /** Aborts on timeout or when shutdown outlasts scheduler.shutdownTimeoutMs. */
  signal: AbortSignal;
}

/**
 * Runs the method on a cron schedule: `@ScheduledAction('*\/5 * * * * *')` (every 5 seconds;
 * 6 fields = seconds first) or `@ScheduledAction('0 3 * * *', { timezone: 'Europe/Lisbon' })`.
 */
export function ScheduledAction(cron: string, options: ScheduledActionOptions = {}): <This>(value: (this: This, fire: ScheduledFire) => unknown, context: PublicMethodContext<This>) => void {
  const decorate = handlerDecorator<ScheduledActionSpec>('scheduled', { ...options, cron });
  return (value, context) => decorate(value as never, context as PublicMethodContext<never>);
}
