// The OpenTelemetry metrics SDK as the plugin uses it. In dist/ this module is one file, bundled
// by scripts/post-build.mjs: the SDK's ~170 CommonJS modules took ~0.3 s to load one by one under
// tsx (which lexes each), ~0.1 s as one. From source (this repository's tests) it is these
// re-exports of the packages themselves.
export { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
export { HostMetrics } from '@opentelemetry/host-metrics';
export { resourceFromAttributes } from '@opentelemetry/resources';
export { MeterProvider, PeriodicExportingMetricReader, type IMetricReader } from '@opentelemetry/sdk-metrics';
