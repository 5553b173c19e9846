// Every instrument the plugin records, by its Prometheus name. The names carry their unit and
// `_total` (the names dashboards and alerts use, in ops/); the same names go out over OTLP.
// Labels are bounded: handler, route template, queue, action, endpoint, message names — never
// a raw URL, an id or a user value.
import type { Meter } from '@opentelemetry/api';
import { CounterSet } from './counters.ts';

// Seconds; from 1 ms to 30 s (handlers, confirms, lag).
const SECONDS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export function createInstruments(meter: Meter) {
  const histogram = (name: string, description: string) => meter.createHistogram(name, { description, advice: { explicitBucketBoundaries: SECONDS } });
  return {
    executions: new CounterSet(meter, 'jararaca_executions_total', 'Executions (HTTP requests, messages, scheduled runs, WebSocket events) by kind, handler and outcome (ok, error).'),
    executionDuration: histogram('jararaca_execution_duration_seconds', 'Execution time through the whole interceptor onion (commit and publish included), by kind, handler and outcome.'),
    httpRequests: new CounterSet(meter, 'jararaca_http_requests_total', 'HTTP responses by route template (unmatched for no route), method and status code.'),
    httpDuration: histogram('jararaca_http_request_duration_seconds', 'HTTP request time until the response was sent, by route template and method.'),
    messagesReceived: new CounterSet(meter, 'jararaca_messages_received_total', 'Messages taken by a handler, by handler and queue.'),
    messagesSettled: new CounterSet(meter, 'jararaca_messages_settled_total', 'Messages settled, by handler, queue and outcome (acked, retried, dead-lettered, requeued).'),
    messagesInFlight: new CounterSet(meter, 'jararaca_messages_in_flight', 'Messages received and not settled yet, by handler and queue.', false),
    messageDuration: histogram('jararaca_message_handling_duration_seconds', 'From receiving a message to settling it, by handler, queue and outcome.'),
    published: new CounterSet(meter, 'jararaca_messages_published_total', 'Messages published to the broker, by message, via (direct, outbox) and outcome (confirmed, failed).'),
    publishConfirm: histogram('jararaca_publish_confirm_duration_seconds', 'From handing a message to the broker to its publisher confirm, by message and via.'),
    slots: new CounterSet(meter, 'jararaca_scheduled_slots_total', 'Scheduled slots by action and outcome (fired, succeeded, failed, skipped, missed).'),
    slotLag: histogram('jararaca_scheduled_lag_seconds', 'How late a scheduled run started after its slot, by action.'),
    wsConnections: new CounterSet(meter, 'jararaca_websocket_connections', 'Open WebSocket connections, by endpoint.', false),
    wsFrames: new CounterSet(meter, 'jararaca_websocket_frames_total', 'WebSocket frames by endpoint and direction (in, out).'),
    wsDropped: new CounterSet(meter, 'jararaca_websocket_frames_dropped_total', 'WebSocket frames not written because the client was too slow (its connection is closed), by endpoint.'),
    wsSends: new CounterSet(meter, 'jararaca_websocket_sends_total', 'WebSocket sends from handlers (send, sendTo, broadcast), by method.'),
  };
}

export type Instruments = ReturnType<typeof createInstruments>;
