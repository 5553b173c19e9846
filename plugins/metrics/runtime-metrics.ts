// Node.js runtime gauges the OpenTelemetry host metrics lack: heap, event-loop delay, start time.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Meter } from '@opentelemetry/api';

/** Registers the gauges; returns what stops the event-loop monitor. */
export function observeRuntime(meter: Meter): () => void {
  const delay = monitorEventLoopDelay({ resolution: 20 });
  delay.enable();
  const startTime = Math.round((Date.now() - process.uptime() * 1000) / 1000);
  meter.createObservableGauge('process_start_time_seconds', { description: 'Start time of the process since the Unix epoch, seconds.' }).addCallback((r) => r.observe(startTime));
  meter.createObservableGauge('nodejs_heap_used_bytes', { description: 'V8 heap in use.' }).addCallback((r) => r.observe(process.memoryUsage().heapUsed));
  meter.createObservableGauge('nodejs_heap_total_bytes', { description: 'V8 heap allocated.' }).addCallback((r) => r.observe(process.memoryUsage().heapTotal));
  meter.createObservableGauge('nodejs_eventloop_delay_p99_seconds', { description: 'Event-loop delay, 99th percentile since the previous scrape.' }).addCallback((r) => {
    r.observe(Number.isFinite(delay.percentile(99)) ? delay.percentile(99) / 1e9 : 0);
    delay.reset();
  });
  return () => delay.disable();
}
