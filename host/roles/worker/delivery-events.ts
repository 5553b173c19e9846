// Reports each delivery's progress on the `jararaca:message-bus:delivery` channel (metrics and
// other observers subscribe): received when the worker takes it, then how it was settled, with
// its handling time. A branch per delivery when nobody listens.
import { eventChannel, type DeliveryEvent } from '../../core/diagnostics.ts';
import type { Delivery, MessageHandlerPlan, Settlement } from './messages.ts';

const deliveries = eventChannel('jararaca:message-bus:delivery');

const OUTCOME: Record<Settlement['action'], DeliveryEvent['outcome']> = { ack: 'acked', retry: 'retried', 'dead-letter': 'dead-lettered', requeue: 'requeued' };

/** A delivery taken by a handler; returns its start time for `reportSettled` (0 when nobody listens). */
export function reportReceived(plan: MessageHandlerPlan, delivery: Delivery): number {
  if (!deliveries.hasSubscribers) return 0;
  deliveries.publish({ handler: plan.name, queue: plan.queue, messageId: delivery.messageId ?? '', attempt: delivery.attempt, outcome: 'received' });
  return performance.now();
}

/** How it ended: the settlement done, or 'requeued' when settling failed (the broker redelivers it). */
export function reportSettled(plan: MessageHandlerPlan, delivery: Delivery, settlement: Settlement, startedAt: number): void {
  if (!deliveries.hasSubscribers || !startedAt) return;
  deliveries.publish({
    handler: plan.name,
    queue: plan.queue,
    messageId: delivery.messageId ?? '',
    attempt: delivery.attempt,
    outcome: OUTCOME[settlement.action],
    durationMs: performance.now() - startedAt,
    ...(settlement.action === 'retry' || settlement.action === 'dead-letter' ? { error: settlement.error } : {}),
    ...(settlement.action === 'dead-letter' ? { deadLetter: { body: delivery.body, name: delivery.name, topic: delivery.topic, headers: delivery.headers, attempts: settlement.attempt ?? delivery.attempt } } : {}),
  });
}
