// The diagnostics channels the roles and built-in plugins publish on ('jararaca' tracingChannel /
// eventChannel), turned into instruments. Subscribed at start, unsubscribed at stop. The channels
// are process-wide: two hosts in one process (tests) each count both.
import { eventChannel, tracingChannel, type DeliveryEvent, type OutboxEvent, type PublishEvent, type ScheduledEvent, type WsConnectionEvent, type WsSendEvent } from 'jararaca';
import type { Meter } from '@opentelemetry/api';
import type { Instruments } from './instruments.ts';

// A tracing channel's subscriber lists all five events; the ones not used do nothing.
const NOTHING = { start() {}, end() {}, asyncStart() {}, asyncEnd() {}, error() {} };

export function subscribeChannels(meter: Meter, m: Instruments): () => void {
  const undo: Array<() => void> = [];
  const on = <E>(channel: { subscribe(fn: (e: E) => void): void; unsubscribe(fn: (e: E) => void): boolean }, fn: (e: E) => void) => {
    channel.subscribe(fn);
    undo.push(() => void channel.unsubscribe(fn));
  };

  on(eventChannel('jararaca:message-bus:delivery'), (e: DeliveryEvent) => {
    const where = { handler: e.handler, queue: e.queue };
    if (e.outcome === 'received') {
      m.messagesReceived.add(1, where);
      m.messagesInFlight.add(1, where);
      return;
    }
    m.messagesInFlight.add(-1, where);
    m.messagesSettled.add(1, { ...where, outcome: e.outcome });
    if (e.durationMs !== undefined) m.messageDuration.record(e.durationMs / 1000, { ...where, outcome: e.outcome });
  });

  on(eventChannel('jararaca:scheduler:slot'), (e: ScheduledEvent) => {
    m.slots.add(1, { action: e.action, outcome: e.outcome });
    if (e.outcome === 'fired') m.slotLag.record(Math.max(0, e.lagMs) / 1000, { action: e.action });
  });

  // The relay reports after each stats refresh; the gauges show the latest per connection.
  const outbox = new Map<string, OutboxEvent>();
  on(eventChannel('jararaca:message-bus:outbox'), (e: OutboxEvent) => void outbox.set(e.connection, e));
  meter.createObservableGauge('jararaca_outbox_pending', { description: 'Outbox rows due and not sent yet, by knex-session connection (this service\'s, seen by this process\'s relay).' }).addCallback((r) => {
    for (const e of outbox.values()) r.observe(e.pending, { connection: e.connection });
  });
  meter.createObservableGauge('jararaca_outbox_lag_seconds', { description: 'Age of the oldest due outbox row not sent yet, by connection (0 when none).' }).addCallback((r) => {
    for (const e of outbox.values()) r.observe(e.lagMs / 1000, { connection: e.connection });
  });

  const FRAME = { 'frame-in': 'in', 'frame-out': 'out' } as const;
  on(eventChannel('jararaca:websocket:connection'), (e: WsConnectionEvent) => {
    if (e.event === 'open') m.wsConnections.add(1, { endpoint: e.endpoint });
    else if (e.event === 'close') m.wsConnections.add(-1, { endpoint: e.endpoint });
    else if (e.event === 'dropped') m.wsDropped.add(1, { endpoint: e.endpoint });
    else m.wsFrames.add(1, { endpoint: e.endpoint, direction: FRAME[e.event] });
  });

  // Publish confirms: timed from the publish to the confirm (asyncEnd; `error` set on a nack or a lost channel).
  const publishStarts = new WeakMap<object, number>();
  const publishes = tracingChannel('jararaca:message-bus:publish');
  const publishHandlers = {
    ...NOTHING,
    start: (e: PublishEvent) => void publishStarts.set(e, performance.now()),
    asyncEnd: (e: PublishEvent & { error?: unknown }) => {
      const started = publishStarts.get(e);
      const failed = 'error' in e;
      m.published.add(1, { message: e.message, via: e.via, outcome: failed ? 'failed' : 'confirmed' });
      if (started !== undefined && !failed) m.publishConfirm.record((performance.now() - started) / 1000, { message: e.message, via: e.via });
    },
  };
  publishes.subscribe(publishHandlers);
  undo.push(() => void publishes.unsubscribe(publishHandlers));

  // WebSocket sends: the frames of each flush, counted once it reached the backend.
  const sends = tracingChannel('jararaca:websocket:send');
  const sendHandlers = {
    ...NOTHING,
    asyncEnd: (e: WsSendEvent) => m.wsSends.add(e.frames ?? 1, { method: e.method }),
  };
  sends.subscribe(sendHandlers);
  undo.push(() => void sends.unsubscribe(sendHandlers));

  return () => {
    for (const fn of undo.splice(0)) fn();
  };
}
