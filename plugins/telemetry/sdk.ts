// The OpenTelemetry SDK, loaded only by a service that declares telemetry (index.ts imports this
// file dynamically): the instrumentations, registered once per process before the drivers they
// patch are required, and a tracer provider per host (exporter, sampler, resource).
import { context, propagation, trace, type TracerProvider } from '@opentelemetry/api';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { registerInstrumentations, type Instrumentation } from '@opentelemetry/instrumentation';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  NodeTracerProvider,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type Sampler,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-node';
import type { TelemetrySettings } from './options.ts';

type Which = TelemetrySettings['instrumentations'];

// Process-wide: a driver is patched once, when first required; each host's provider is handed to them.
const registered = new Map<keyof Which, Instrumentation>();
let current: TracerProvider | undefined;

/** Registers the instrumentations asked for (those not yet registered in this process). */
export async function registerDriverInstrumentations(which: Which): Promise<void> {
  const added: Instrumentation[] = [];
  if (which.pg && !registered.has('pg')) {
    const { PgInstrumentation } = await import('@opentelemetry/instrumentation-pg');
    // Inside executions only: the outbox relay's polling and the health probes make no traces.
    registered.set('pg', new PgInstrumentation({ requireParentSpan: true }));
    added.push(registered.get('pg')!);
  }
  if (which.knex && !registered.has('knex')) {
    const { KnexInstrumentation } = await import('@opentelemetry/instrumentation-knex');
    registered.set('knex', new KnexInstrumentation({ requireParentSpan: true }));
    added.push(registered.get('knex')!);
  }
  if (which.amqplib && !registered.has('amqplib')) {
    const { AmqplibInstrumentation } = await import('@opentelemetry/instrumentation-amqplib');
    registered.set('amqplib', new AmqplibInstrumentation());
    added.push(registered.get('amqplib')!);
  }
  if (added.length) registerInstrumentations({ instrumentations: added });
}

function samplerOf(settings: TelemetrySettings): Sampler {
  switch (settings.sampler) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(settings.ratio);
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(settings.ratio) });
    default:
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}

async function exporterOf(settings: TelemetrySettings): Promise<SpanExporter | undefined> {
  const config = { url: settings.url, headers: settings.headers };
  if (settings.protocol === 'none') return undefined;
  if (settings.protocol === 'http/json') return new (await import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter(config);
  return new (await import('@opentelemetry/exporter-trace-otlp-proto')).OTLPTraceExporter(config);
}

export interface Sdk {
  readonly provider: TracerProvider;
  /** Which exporter class was chosen ('OTLPTraceExporter (http/json)'...), for describe() and tests. */
  readonly exporter: string;
  /** Exports what is pending and unregisters the provider. */
  shutdown(): Promise<void>;
}

/** A provider for one host, registered as the global one (with W3C trace context and baggage propagation). */
export async function startSdk(settings: TelemetrySettings): Promise<Sdk> {
  const exporter = await exporterOf(settings);
  const spanProcessors: SpanProcessor[] = exporter ? [new BatchSpanProcessor(exporter)] : [];
  const provider = new NodeTracerProvider({
    resource: defaultResource().merge(resourceFromAttributes(settings.resource)),
    sampler: samplerOf(settings),
    spanProcessors,
  });
  // Another host in this process (the test kit) may have registered one: this one replaces it.
  trace.disable();
  propagation.disable();
  context.disable();
  provider.register({ propagator: new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }) });
  current = provider;
  for (const instrumentation of registered.values()) instrumentation.setTracerProvider(provider);
  return {
    provider,
    exporter: exporter ? `${settings.protocol} to ${settings.url}` : 'none',
    async shutdown() {
      await provider.shutdown();
      if (current !== provider) return;
      current = undefined;
      trace.disable();
      propagation.disable();
      context.disable();
    },
  };
}
