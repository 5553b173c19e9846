// The OpenTelemetry MeterProvider behind the plugin: a Prometheus reader that never listens
// itself (the plugin serves its text on the HTTP port, the health ports or a port of its own),
// and, when asked, a periodic OTLP/HTTP reader beside it — the same instruments feed both.
import { createRequire } from 'node:module';
import type { Logger } from 'pino';
import { HostMetrics, MeterProvider, PeriodicExportingMetricReader, PrometheusExporter, PrometheusSerializer, resourceFromAttributes, type IMetricReader } from './otel.ts';
import type { MetricsOptions } from './options.ts';
import { observeRuntime } from './runtime-metrics.ts';

// The OTLP exporter (and the protobuf code under it) only when metrics go over OTLP: ~120 ms of
// a start otherwise. Required, so createMetrics stays synchronous.
const require = createRequire(import.meta.url);

export interface Metrics {
  readonly provider: MeterProvider;
  /** The exposition text, as Prometheus scrapes it. */
  render(): Promise<string>;
  /** Where OTLP goes, when it does. */
  readonly otlp?: string;
  shutdown(): Promise<void>;
}

export function createMetrics(serviceName: string, options: MetricsOptions, logger: Logger, env: NodeJS.ProcessEnv = process.env): Metrics {
  const prometheus = new PrometheusExporter({ preventServerStart: true, withoutScopeInfo: true });
  const serializer = new PrometheusSerializer(undefined, false, undefined, false, true);
  const readers: IMetricReader[] = [prometheus];
  const otlpOption = options.otlp ?? (env.OTEL_METRICS_EXPORTER?.split(',').map((s) => s.trim()).includes('otlp') ? true : false);
  let otlp: string | undefined;
  if (otlpOption) {
    const settings: { endpoint?: string; intervalMs?: number; headers?: Record<string, string> } = otlpOption === true ? {} : otlpOption;
    const { OTLPMetricExporter } = require('@opentelemetry/exporter-metrics-otlp-http') as typeof import('@opentelemetry/exporter-metrics-otlp-http');
    const exporter = new OTLPMetricExporter({ url: settings.endpoint, headers: settings.headers });
    readers.push(new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: settings.intervalMs ?? 60000 }));
    otlp = settings.endpoint ?? env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT ?? (env.OTEL_EXPORTER_OTLP_ENDPOINT ? `${env.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/$/, '')}/v1/metrics` : 'http://localhost:4318/v1/metrics');
  }
  const provider = new MeterProvider({ readers, resource: resourceFromAttributes({ 'service.name': serviceName }) });
  let stopRuntime: (() => void) | undefined;
  if (options.process ?? true) {
    new HostMetrics({ meterProvider: provider, name: 'jararaca-process', metricGroups: ['process.cpu', 'process.memory'] }).start();
    stopRuntime = observeRuntime(provider.getMeter('jararaca-runtime'));
  }
  return {
    provider,
    otlp,
    async render() {
      const { resourceMetrics, errors } = await prometheus.collect();
      if (errors.length) logger.warn({ err: errors[0] }, 'metrics: errors while collecting');
      return serializer.serialize(resourceMetrics);
    },
    async shutdown() {
      stopRuntime?.();
      // The OTLP reader pushes what it has once more on shutdown.
      await provider.shutdown().catch((err: unknown) => logger.warn({ err }, 'metrics: shutdown failed (the last OTLP export may be lost)'));
    },
  };
}
