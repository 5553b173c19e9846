// One trace across two services: the notes example (telemetry declared) calls the tasks example
// (telemetry declared) through its generated client and serviceFetch; an OTLP receiver in this
// test sees notes' server span → its client span for the call → tasks' server span, in one trace.
// Embedded engines only (no servers needed).
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { eventually } from '../support/eventually.ts';
import { http, repoRoot, spawnHost, writeService, type SpawnedHost } from '../support/host.ts';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from './otlp-receiver.ts';

const embedded = { DATABASE_URL: undefined, AMQP_URL: undefined, REDIS_URL: undefined };

/** An example's service.yaml with telemetry declared first, its ./paths pointing back at the example. */
function withTelemetry(example: string, dir: string): string {
  const folder = path.join(repoRoot, 'examples', example);
  const text = readFileSync(path.join(folder, 'service.yaml'), 'utf8')
    .replace(/(\s)\.\/([\w./#-]+)/g, (_m, space: string, rest: string) => `${space}${path.relative(dir, path.join(folder, rest))}`)
    .replace(/^interceptors:\n/m, 'interceptors:\n  - use: telemetry\n    with:\n      exporter: { protocol: http/json }\n');
  return text;
}

describe('telemetry: a call from one service to another continues the trace', () => {
  let receiver: OtlpReceiver;
  let tasks: SpawnedHost;
  let notes: SpawnedHost;
  before(async () => {
    receiver = await startOtlpReceiver();
    const files = writeService({});
    writeFileSync(path.join(files, 'tasks.yaml'), withTelemetry('tasks', files));
    writeFileSync(path.join(files, 'notes.yaml'), withTelemetry('notes', files));
    const env = { ...embedded, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '50', TASKS_API_KEY: 'shared-api-key' };
    tasks = await spawnHost(path.join(files, 'tasks.yaml'), { args: ['--role', 'http'], env, timeoutMs: 120000 });
    notes = await spawnHost(path.join(files, 'notes.yaml'), { env: { ...env, TASKS_URL: tasks.url }, timeoutMs: 120000 });
  });
  after(async () => {
    await notes?.stop();
    await tasks?.stop();
    await receiver?.close();
  });

  test("POST /notes: notes' server span → client span POST host → tasks' server span POST /tasks", async () => {
    const created = await http('POST', `${notes.url}/notes`, { text: 'traced call' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const traceId = /^00-([0-9a-f]{32})-/.exec(created.headers.get('traceresponse') ?? '')?.[1];
    assert.ok(traceId, 'notes answers with its trace');
    const ofTrace = () => receiver.spans.filter((s) => s.traceId === traceId);
    const find = (predicate: (s: ReceivedSpan) => boolean) => ofTrace().find(predicate);
    await eventually('the three spans to be exported', () => Boolean(find((s) => s.name === 'POST /notes') && find((s) => s.name === 'POST /tasks')), { timeoutMs: 20000, intervalMs: 100 }).catch((err: Error) => {
      throw new Error(`${err.message}; spans of the trace: ${JSON.stringify(ofTrace().map((s) => [s.service, s.name, s.spanId, s.parentSpanId]))}`);
    });

    const notesServer = find((s) => s.name === 'POST /notes')!;
    assert.equal(notesServer.service, 'notes');
    assert.equal(notesServer.parentSpanId, undefined);
    const host = new URL(tasks.url).host;
    const client = find((s) => s.kind === 3 && s.name === `POST ${host}`); // CLIENT
    assert.ok(client, `a client span named POST ${host}: ${JSON.stringify(ofTrace().map((s) => [s.service, s.name]))}`);
    assert.equal(client.service, 'notes');
    assert.equal(client.parentSpanId, notesServer.spanId, "the client span is a child of notes' server span");
    assert.equal(client.attributes['http.request.method'], 'POST');
    assert.equal(client.attributes['url.full'], `${tasks.url}/tasks`);
    assert.equal(client.attributes['server.address'], new URL(tasks.url).hostname);
    assert.equal(client.attributes['server.port'], Number(new URL(tasks.url).port));
    assert.equal(client.attributes['http.response.status_code'], 201);

    const tasksServer = find((s) => s.name === 'POST /tasks')!;
    assert.equal(tasksServer.service, 'tasks');
    assert.equal(tasksServer.kind, 2); // SERVER
    assert.equal(tasksServer.parentSpanId, client.spanId, "tasks' server span continues from the client span");
    assert.equal(tasksServer.attributes['http.response.status_code'], 201);
  });

  test('a 404 from the called service marks the client span as an error', async () => {
    const missing = await http('GET', `${notes.url}/notes/00000000-0000-4000-8000-000000000000`);
    assert.equal(missing.status, 404);
    const traceId = /^00-([0-9a-f]{32})-/.exec(missing.headers.get('traceresponse') ?? '')?.[1];
    assert.ok(traceId);
    const host = new URL(tasks.url).host;
    const client = () => receiver.spans.find((s) => s.traceId === traceId && s.name === `GET ${host}`);
    await eventually('the client span', () => Boolean(client()), { timeoutMs: 20000, intervalMs: 100 });
    assert.equal(client()!.attributes['http.response.status_code'], 404);
    assert.equal(client()!.attributes['error.type'], '404');
    assert.equal(client()!.status?.code, 2); // ERROR
  });
});
