// Reports scheduled slots on the `jararaca:scheduler:slot` channel (metrics and other observers
// subscribe): 'fired' when a run starts, then how the slot ended. ('missed', for slots that
// passed while the process was paused, is reported by the Scheduler where it finds them.)
import { eventChannel, type ScheduledEvent } from '../../core/diagnostics.ts';
import type { FireOutcome, FireRecord } from './scheduler.ts';

const slots = eventChannel('jararaca:scheduler:slot');

const OUTCOME: Record<FireOutcome, ScheduledEvent['outcome']> = { ok: 'succeeded', failed: 'failed', timeout: 'failed', aborted: 'failed', skipped: 'skipped' };

export function reportFired(action: string, slot: Date, firedAt: Date): void {
  if (slots.hasSubscribers) slots.publish({ action, slot: slot.toISOString(), outcome: 'fired', lagMs: firedAt.getTime() - slot.getTime() });
}

/** The Scheduler's `onFire`: every slot it handled, run or skipped. */
export function reportFire(record: FireRecord): void {
  if (slots.hasSubscribers) {
    slots.publish({ action: record.action, slot: new Date(record.slot).toISOString(), outcome: OUTCOME[record.outcome], lagMs: record.lagMs ?? 0, durationMs: record.durationMs });
  }
}
