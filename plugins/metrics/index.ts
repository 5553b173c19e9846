// Built-in `metrics` plugin: Prometheus metrics of everything the service does — executions of
// every kind (its interceptor), HTTP responses, messages, publishes, the outbox, scheduled slots,
// WebSocket traffic (the diagnostics channels) and the process — on the OpenTelemetry metrics
// SDK. Served at `path` on the HTTP port, on the worker's and scheduler's health ports, and on a
// port of its own if asked; pushed over OTLP/HTTP if asked. Names and labels: docs/metrics.md.
import { definePlugin, HEALTH_ROUTES_CAPABILITY, type FastifyInstance, type HealthRoutes } from 'jararaca';
import { subscribeChannels } from './channels.ts';
import { executionInterceptor } from './executions.ts';
import { countHttpRequests } from './http-requests.ts';
import type { Metrics } from './meter.ts';
import { optionsSchema } from './options.ts';
import { CONTENT_TYPE, startMetricsServer, type MetricsServer } from './server.ts';
import { createInstruments, type Instruments } from './instruments.ts';

export { optionsSchema } from './options.ts';
export type { MetricsOptions } from './options.ts';

export default definePlugin({
  name: 'metrics',
  options: optionsSchema,
  setup(ctx) {
    const options = ctx.options;
    const path = options.path ?? '/metrics';
    // Made at start (the OTLP reader starts a timer, the runtime gauges a monitor): `validate` sets plugins up without starting them.
    let live: { metrics: Metrics; instruments: Instruments; unsubscribe: () => void; server?: MetricsServer } | undefined;
    let interceptor: ReturnType<typeof executionInterceptor> | undefined;
    const render = () => live?.metrics.render() ?? Promise.resolve('');
    const serve = (app: FastifyInstance) => {
      app.get(path, { logLevel: 'warn' }, async (_request, reply) => reply.type(CONTENT_TYPE).send(await render()));
    };
    const healthRoutes: HealthRoutes = serve;
    return {
      provides: options.health === false ? {} : { [HEALTH_ROUTES_CAPABILITY]: healthRoutes },
      async start() {
        // The OpenTelemetry metrics SDK (~160 ms to load) at start, not at import: the plugins
        // declared after this one load sooner (knex-session's preload starts its database
        // earlier), and `validate` never loads it.
        const { createMetrics } = await import('./meter.ts');
        const metrics = createMetrics(ctx.service.name, options, ctx.logger);
        const meter = metrics.provider.getMeter('jararaca');
        const instruments = createInstruments(meter);
        live = { metrics, instruments, unsubscribe: subscribeChannels(meter, instruments) };
        interceptor = executionInterceptor(instruments);
        if (options.port !== undefined) {
          live.server = await startMetricsServer(path, options.port, options.host ?? '0.0.0.0', render, ctx.logger);
          ctx.logger.info({ port: live.server.port, path }, `metrics on port ${live.server.port} at ${path}`);
        }
        if (metrics.otlp) ctx.logger.info({ endpoint: metrics.otlp }, 'metrics: pushing over OTLP/HTTP');
      },
      async stop() {
        const was = live;
        live = undefined;
        interceptor = undefined;
        if (!was) return;
        was.unsubscribe();
        await was.server?.close();
        await was.metrics.shutdown();
      },
      intercept: (execution, next) => (interceptor ? interceptor(execution, next) : next()),
      http(app) {
        if (!live) return;
        countHttpRequests(app, live.instruments);
        if (options.http !== false) serve(app);
      },
      describe: () => [
        `metrics: ${path}${options.http === false ? '' : ' on the HTTP port'}${options.health === false ? '' : ', on the worker/scheduler health ports'}${options.port !== undefined ? `, on port ${options.port}` : ''}${options.otlp ? ', OTLP push' : ''}`,
      ],
    };
  },
});
