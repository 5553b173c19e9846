// The telemetry plugin on a spawned jararaca-host (no servers needed): the trace id in a 500's
// body, in the traceresponse header and in the log lines of the execution; an incoming
// traceparent continued, or only linked at a public edge; the protobuf exporter chosen by
// OTEL_EXPORTER_OTLP_PROTOCOL; and nothing of OpenTelemetry loaded when it is not declared.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { eventually } from '../support/eventually.ts';
import { hostCommand, http, repoRoot, spawnHost, writeService, type SpawnedHost } from '../support/host.ts';
import { resolveSettings } from 'jararaca/telemetry';
import { startOtlpReceiver, type OtlpReceiver } from './otlp-receiver.ts';

const controller = `
import { Get, RestController, useExecution } from 'jararaca';
import { traced } from 'jararaca/telemetry';

@RestController('/t')
export class Probe {
  @Get('/ok/:id')
  ok() {
    useExecution().logger.info('inside the execution');
    return traced('work', () => ({ ok: true }));
  }

  @Get('/boom')
  boom() {
    throw new Error('kaboom');
  }
}
`;

const yaml = (name: string, telemetry: string) => `name: ${name}
interceptors:
${telemetry}
controllers:
  - ./probe.ts
`;

describe('telemetry on an HTTP process', () => {
  let receiver: OtlpReceiver;
  let trusted: SpawnedHost;
  let edge: SpawnedHost;
  let dir: string;

  before(async () => {
    receiver = await startOtlpReceiver();
    dir = writeService({
      'probe.ts': controller,
      'trusted.yaml': yaml('probe', '  - use: telemetry\n    with:\n      exporter: { protocol: http/json }'),
      'edge.yaml': yaml('edge', "  - use: telemetry\n    with:\n      exporter: { protocol: http/json }\n      http: { trustIncoming: false, responseHeader: x-trace-id }"),
    });
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '50' };
    [trusted, edge] = await Promise.all([
      spawnHost(path.join(dir, 'trusted.yaml'), { args: ['--role', 'http'], env }),
      spawnHost(path.join(dir, 'edge.yaml'), { args: ['--role', 'http'], env }),
    ]);
  });

  after(async () => {
    for (const h of [trusted, edge]) if (h) assert.equal(await h.stop(), 0, h.output().slice(-2000));
    await receiver?.close();
  });

  const spanNamed = (traceId: string, name: string) =>
    eventually(`span ${name} of ${traceId}`, () => receiver.spans.find((s) => s.traceId === traceId && s.name === name), { timeoutMs: 10000, intervalMs: 50 });

  test('a 500 carries the trace id in its body and header; the span is an error; the log line of the failure has the same trace id', async () => {
    const res = await http('GET', `${trusted.url}/t/boom`);
    assert.equal(res.status, 500);
    const header = res.headers.get('traceresponse') ?? '';
    const [, traceId, spanId] = header.split('-');
    assert.match(traceId, /^[0-9a-f]{32}$/);
    assert.equal(res.body.traceId, traceId);
    const span = await spanNamed(traceId, 'GET /t/boom');
    assert.equal(span.spanId, spanId);
    assert.equal(span.status?.code, 2); // ERROR
    assert.equal(span.attributes['http.response.status_code'], 500);
    assert.equal(span.attributes['error.type'], 'Error');
    // Logged by the HTTP role after the execution ended: with the body's fields.
    await trusted.waitForLog((l) => l.msg === 'unhandled error in request' && l.traceId === traceId);
  });

  test("an incoming traceparent is continued; log lines and traced() spans inside the execution join it", async () => {
    const parent = '0af7651916cd43dd8448eb211c80319c';
    const res = await http('GET', `${trusted.url}/t/ok/7`, undefined, { traceparent: `00-${parent}-b7ad6b7169203331-01` });
    assert.equal(res.status, 200);
    const span = await spanNamed(parent, 'GET /t/ok/:id');
    assert.equal(span.parentSpanId, 'b7ad6b7169203331');
    assert.equal(span.attributes['http.route'], '/t/ok/:id');
    assert.equal(span.attributes['url.path'], '/t/ok/7');
    const work = await spanNamed(parent, 'work');
    assert.equal(work.parentSpanId, span.spanId);
    const line = await trusted.waitForLog((l) => l.msg === 'inside the execution' && l.trace_id === parent);
    assert.equal(line.span_id, span.spanId);
    assert.equal((line.execution as { handler: string }).handler, 'Probe.ok');
  });

  test('at a public edge (trustIncoming: false) a new trace starts, linked to the caller; the header is x-trace-id', async () => {
    const caller = '1af7651916cd43dd8448eb211c80319c';
    const res = await http('GET', `${edge.url}/t/ok/1`, undefined, { traceparent: `00-${caller}-c7ad6b7169203331-01` });
    const traceId = res.headers.get('x-trace-id') ?? '';
    assert.match(traceId, /^[0-9a-f]{32}$/);
    assert.notEqual(traceId, caller);
    const span = await spanNamed(traceId, 'GET /t/ok/:id');
    assert.equal(span.parentSpanId, undefined);
    assert.deepEqual(span.links?.map((l) => [l.traceId, l.spanId]), [[caller, 'c7ad6b7169203331']]);
  });
});

test('an unsampled request still has its trace id (header, 500 body, log lines) and nothing of it is exported', async () => {
  const receiver = await startOtlpReceiver();
  const dir = writeService({ 'probe.ts': controller, 'service.yaml': yaml('unsampled', '  - use: telemetry\n    with:\n      exporter: { protocol: http/json }\n      sampler: { type: parentbased_traceidratio, ratio: 0 }') });
  const host = await spawnHost(path.join(dir, 'service.yaml'), { args: ['--role', 'http'], env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '50', LOG_LEVEL: 'info' } });
  let stopped = false;
  try {
    const ok = await http('GET', `${host.url}/t/ok/1`);
    assert.equal(ok.status, 200);
    const [version, traceId, spanId, flags] = (ok.headers.get('traceresponse') ?? '').split('-');
    assert.deepEqual([version, flags], ['00', '00']); // not sampled
    assert.match(traceId, /^[0-9a-f]{32}$/);
    assert.match(spanId, /^[0-9a-f]{16}$/);
    await host.waitForLog((l) => l.msg === 'inside the execution' && l.trace_id === traceId && l.trace_flags === '00');
    const boom = await http('GET', `${host.url}/t/boom`);
    assert.equal(boom.status, 500);
    assert.equal(boom.body.traceId, (boom.headers.get('traceresponse') ?? '').split('-')[1]);
    // Stopping flushes whatever the batch processor holds: an empty receiver then means nothing was recorded.
    assert.equal(await host.stop(), 0, host.output().slice(-2000));
    stopped = true;
    assert.equal(receiver.spans.length, 0);
  } finally {
    if (!stopped) await host.stop();
    await receiver.close();
  }
});

test('OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf exports protobuf to the receiver', async () => {
  const receiver = await startOtlpReceiver();
  const dir = writeService({ 'probe.ts': controller, 'service.yaml': yaml('proto', '  - use: telemetry') });
  const host = await spawnHost(path.join(dir, 'service.yaml'), {
    args: ['--role', 'http'],
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf', OTEL_BSP_SCHEDULE_DELAY: '50' },
  });
  try {
    assert.equal((await http('GET', `${host.url}/t/ok/1`)).status, 200);
    await eventually('an export', () => receiver.contentTypes.length > 0, { timeoutMs: 10000, intervalMs: 50 });
    assert.deepEqual([...new Set(receiver.contentTypes)], ['application/x-protobuf']);
  } finally {
    assert.equal(await host.stop(), 0, host.output().slice(-2000));
    await receiver.close();
  }
});

test('settings: service.yaml over OTEL_* variables over the defaults', () => {
  const env = {
    OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/',
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
    OTEL_TRACES_SAMPLER_ARG: '0.25',
    OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=prod,team=a%20b',
    OTEL_SERVICE_NAME: 'renamed',
  };
  const fromEnv = resolveSettings({}, 'tasks', env);
  assert.equal(fromEnv.url, 'http://collector:4318/v1/traces');
  assert.equal(fromEnv.protocol, 'http/json');
  assert.equal(fromEnv.sampler, 'parentbased_traceidratio');
  assert.equal(fromEnv.ratio, 0.25);
  assert.deepEqual(fromEnv.resource, { 'service.name': 'renamed', 'deployment.environment.name': 'prod', team: 'a b' });
  const fromYaml = resolveSettings({ exporter: { endpoint: 'https://otel.example', protocol: 'http/protobuf' }, sampler: { ratio: 0.1 }, resource: { team: 'c' } }, 'tasks', env);
  assert.equal(fromYaml.url, 'https://otel.example/v1/traces');
  assert.equal(fromYaml.protocol, 'http/protobuf');
  assert.equal(fromYaml.ratio, 0.1);
  assert.equal(fromYaml.resource.team, 'c');
  const defaults = resolveSettings({}, 'tasks', {});
  assert.deepEqual([defaults.url, defaults.protocol, defaults.sampler, defaults.ratio, defaults.resource['service.name']], ['http://localhost:4318/v1/traces', 'http/protobuf', 'parentbased_always_on', 1, 'tasks']);
  assert.equal(resolveSettings({}, 'tasks', { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://x:1/custom' }).url, 'http://x:1/custom');
  assert.throws(() => resolveSettings({}, 'tasks', { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }), (err: { code?: string; message: string }) => err.code === 'JRR_TELEMETRY_CONFIG' && /grpc/.test(err.message));
});

// A script in its own process: a request through a host, then whether any @opentelemetry
// module was loaded (they are CommonJS: require's cache lists them).
const probeScript = `
import { createRequire } from 'node:module';
import { createTestHost } from 'jararaca/testing';
const host = await createTestHost(process.argv[2], { env: { OTEL_TRACES_EXPORTER: 'none' } });
const res = await host.inject('/t/ok/1');
await host.close();
const loaded = Object.keys(createRequire(import.meta.url).cache).filter((k) => k.includes('@opentelemetry'));
console.log(JSON.stringify({ status: res.statusCode, loaded: loaded.length }));
`;

test('without telemetry declared no OpenTelemetry module is loaded (and with it, they are)', () => {
  const plainController = "import { Get, RestController } from 'jararaca';\n@RestController('/t')\nexport class Plain {\n  @Get('/ok/:id')\n  ok() {\n    return { ok: true };\n  }\n}\n";
  const services = (telemetry: string) => `name: plain\ninterceptors:${telemetry}\ncontrollers:\n  - ./plain.ts\n`;
  const dir = writeService({ 'plain.ts': plainController, 'probe.mts': probeScript, 'plain.yaml': services(' []'), 'traced.yaml': services('\n  - use: telemetry') });
  const run = (config: string) =>
    JSON.parse(execFileSync(process.execPath, [...hostCommand().slice(0, 3), path.join(dir, 'probe.mts'), path.join(dir, config)], { cwd: repoRoot, encoding: 'utf8', env: { ...process.env, LOG_LEVEL: 'silent' } }).trim().split('\n').pop()!) as { status: number; loaded: number };
  const without = run('plain.yaml');
  assert.equal(without.status, 200);
  const declared = run('traced.yaml');
  assert.equal(declared.status, 200);
  assert.equal(without.loaded, 0);
  assert.ok(declared.loaded > 0, 'the probe sees the SDK when telemetry is declared');
});
