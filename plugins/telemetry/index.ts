// Built-in `telemetry` plugin: OpenTelemetry traces for every execution (HTTP, messages, scheduled
// runs, WebSocket messages), their transactions, publishes and WebSocket sends, with W3C trace
// context carried through the broker (and the outbox) and into outgoing calls; trace ids in log
// lines, 5xx bodies and a response header. Declare it first (outermost): docs/observability.md.
// The SDK is imported only by a service that declares the plugin; this file needs only the API.
import { context, trace } from '@opentelemetry/api';
import { addLogFields, definePlugin, HTTP_ERROR_FIELDS_CAPABILITY, TRANSPORT_CAPABILITY, type HttpErrorFields, type MessageTransport } from 'jararaca';
import { subscribeChannelSpans } from './channel-spans.ts';
import { traceExecution, traceIdOf } from './execution-span.ts';
import { optionsSchema, resolveSettings, type TelemetryOptions } from './options.ts';

export { traced, Traced } from './traced.ts';
export type { TracedOptions } from './traced.ts';
export { outgoingTraceHeaders } from './propagation.ts';
export type { TelemetryOptions, TelemetrySettings } from './options.ts';
export { resolveSettings } from './options.ts';

export default definePlugin({
  name: 'telemetry',
  options: optionsSchema,
  // Before the plugins after it (knex-session, message-bus) and the controllers import pg and
  // knex: the instrumentations patch them when they are first required.
  async preload(ctx) {
    const settings = resolveSettings(ctx.options as TelemetryOptions, ctx.service.name);
    if (!settings.enabled) return;
    const { registerDriverInstrumentations } = await import('./sdk.ts');
    await registerDriverInstrumentations(settings.instrumentations);
  },
  async setup(ctx) {
    const settings = resolveSettings(ctx.options as TelemetryOptions, ctx.service.name);
    if (!settings.enabled) return { describe: () => ['telemetry: off (OTEL_SDK_DISABLED=true)'] };
    if (ctx.plugins[0] !== 'telemetry') {
      ctx.logger.warn({ plugins: ctx.plugins }, 'telemetry is not the first plugin under interceptors: the layers outside it (and the drivers they load) are not traced; list it first');
    }
    const { startSdk } = await import('./sdk.ts');
    const sdk = await startSdk(settings);
    const tracer = sdk.provider.getTracer('jararaca');
    // Read per message span: the transport's kind, looked up until a transport is there (message-bus is set up after this plugin).
    let system: string | undefined;
    const messagingSystem = () => {
      if (system !== undefined) return system;
      const kind = ctx.capability<MessageTransport>(TRANSPORT_CAPABILITY)?.kind;
      if (kind === undefined) return 'rabbitmq';
      return (system = kind === 'amqp' ? 'rabbitmq' : kind);
    };
    const unsubscribe = subscribeChannelSpans(tracer, messagingSystem);
    // The active span's ids: inside traced() blocks and child spans, theirs.
    const removeLogFields = addLogFields(() => {
      const span = trace.getSpan(context.active());
      if (!span) return undefined;
      const c = span.spanContext();
      return { trace_id: c.traceId, span_id: c.spanId, trace_flags: c.traceFlags === 1 ? '01' : c.traceFlags === 0 ? '00' : `0${c.traceFlags.toString(16)}`.slice(-2) };
    });
    const errorFields: HttpErrorFields = (request) => {
      const traceId = traceIdOf(request);
      return traceId ? { traceId } : undefined;
    };
    let stopped = false;
    const stop = async () => {
      if (stopped) return;
      stopped = true;
      unsubscribe();
      removeLogFields();
      await sdk.shutdown().catch((err: unknown) => ctx.logger.warn({ err }, 'telemetry: the last spans could not be exported'));
    };
    return {
      intercept: traceExecution({ tracer, trustIncoming: settings.trustIncoming, responseHeader: settings.responseHeader, responseHeaderIsTraceresponse: settings.responseHeader !== false && settings.responseHeader.toLowerCase() === 'traceresponse', messagingSystem }),
      provides: { [HTTP_ERROR_FIELDS_CAPABILITY]: errorFields },
      start() {
        ctx.logger.info({ exporter: sdk.exporter, sampler: settings.sampler, ratio: settings.ratio }, 'telemetry: tracing');
      },
      stop,
      describe: () => [`telemetry: traces ${sdk.exporter}, sampler ${settings.sampler}${settings.sampler.includes('ratio') ? ` ${settings.ratio}` : ''}`],
    };
  },
});
