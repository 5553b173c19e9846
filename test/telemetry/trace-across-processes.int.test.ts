// One trace for POST /tasks of the tasks example, run as two processes (--role http and --role
// worker) on the real PostgreSQL, RabbitMQ and Redis, exported over OTLP/HTTP JSON to a receiver
// in this test: the HTTP server span → its transaction and the outbox relay's publish → the
// worker's consumer span → its transaction and WebSocket send, parent to child.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { eventually } from '../support/eventually.ts';
import { freePort, http, repoRoot, runHost, servers, spawnHost, uniqueName, writeService, type SpawnedHost } from '../support/host.ts';
import { deleteBrokerObjects } from '../support/broker.ts';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from './otlp-receiver.ts';

const name = uniqueName('trace');
const database = name;
const databaseUrl = (() => {
  const url = new URL(servers.postgres);
  url.pathname = `/${database}`;
  return url.toString();
})();
const example = path.join(repoRoot, 'examples/tasks');
// writeService's folder is .tmp/svc-*/ in the repository; the declaration sits in its x/.
const rel = (file: string) => path.relative(path.join(repoRoot, '.tmp', 'svc-x', 'x'), path.join(example, file));

// The example's modules under this test's own service name (queues, Redis prefix) and exchange.
function serviceYaml(): string {
  return `name: ${name}
config:
  greeting: hello
  apiKey: test-api-key
interceptors:
  - use: telemetry
    with:
      exporter: { protocol: http/json }
      resource: { deployment.environment.name: test }
  - use: config
  - use: ${rel('api-key.plugin.ts')}
  - use: message-bus
    with:
      url: \${AMQP_URL}
      exchange: ${name}
  - use: websocket
    with:
      url: \${REDIS_URL}
  - use: knex-session
    with:
      url: \${DATABASE_URL}
      migrations:
        directory: ${rel('migrations')}
providers:
  tasks:
    class: ${rel('task-store.ts')}#TaskRepository
  clock:
    factory: ${rel('task-store.ts')}#systemClock
controllers:
  - ${rel('tasks.controller.ts')}
  - ${rel('messages.ts')}
  - ${rel('live.ts')}
`;
}

async function clearBroker(): Promise<void> {
  await deleteBrokerObjects(name, [name]);
}

describe('telemetry: one trace from the HTTP process through RabbitMQ to the worker', () => {
  let receiver: OtlpReceiver;
  let config: string;
  const hosts: SpawnedHost[] = [];
  let httpHost: SpawnedHost;
  let worker: SpawnedHost;
  const admin = new pg.Client({ connectionString: servers.postgres });

  before(async () => {
    receiver = await startOtlpReceiver();
    config = path.join(writeService({ 'x/service.yaml': serviceYaml() }), 'x', 'service.yaml');
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    const env = {
      DATABASE_URL: databaseUrl,
      AMQP_URL: servers.amqp,
      REDIS_URL: servers.redis,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_BSP_SCHEDULE_DELAY: '100',
      LOG_LEVEL: 'info',
    };
    const migrated = await runHost(['migrate', 'latest', '--config', config], { env });
    assert.equal(migrated.code, 0, migrated.stderr + migrated.stdout);
    httpHost = await spawnHost(config, { args: ['--role', 'http'], env });
    hosts.push(httpHost);
    worker = await spawnHost(config, { args: ['--role', 'worker', '--health-port', String(await freePort())], env, waitReady: false });
    hosts.push(worker);
    await worker.waitForLog((l) => typeof l.msg === 'string' && /worker started|consuming/i.test(l.msg), 30000);
  });

  after(async () => {
    for (const h of hosts) assert.equal(await h.stop(), 0, h.output().slice(-3000));
    await receiver?.close();
    await clearBroker().catch(() => undefined);
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
  });

  test('POST /tasks: http server span → transaction, publish → consumer span → transaction, WebSocket send, with the ids chained', async () => {
    const created = await http('POST', `${httpHost.url}/tasks`, { title: 'traced' });
    assert.equal(created.status, 201);
    const id = created.body.id as string;
    const header = created.headers.get('traceresponse') ?? '';
    const traceId = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(header)?.[1];
    assert.ok(traceId, `traceresponse header: ${header}`);

    const ofTrace = () => receiver.spans.filter((s) => s.traceId === traceId);
    const find = (predicate: (s: ReceivedSpan) => boolean) => ofTrace().find(predicate);
    await eventually(
      'the worker span and its children to be exported',
      () => {
        const consumer = find((s) => s.name === 'process TaskCreated');
        return Boolean(consumer && ofTrace().some((s) => s.parentSpanId === consumer.spanId && s.name === 'websocket send') && ofTrace().some((s) => s.parentSpanId === consumer.spanId && s.name === 'transaction'));
      },
      { timeoutMs: 20000, intervalMs: 100 },
    ).catch((err: Error) => {
      throw new Error(`${err.message}; spans of the trace: ${JSON.stringify(ofTrace().map((s) => [s.service, s.name, s.spanId, s.parentSpanId]))}`);
    });

    const server = find((s) => s.name === 'POST /tasks')!;
    assert.ok(server, 'the HTTP server span');
    assert.equal(server.parentSpanId, undefined, 'the HTTP span is the root');
    assert.equal(server.kind, 2); // SERVER
    assert.equal(server.service, name);
    assert.equal(server.attributes['http.request.method'], 'POST');
    assert.equal(server.attributes['http.route'], '/tasks');
    assert.equal(server.attributes['http.response.status_code'], 201);
    assert.equal(server.attributes['jararaca.handler'], 'TasksController.create');

    const children = (parent: ReceivedSpan) => ofTrace().filter((s) => s.parentSpanId === parent.spanId);
    const httpTransaction = children(server).find((s) => s.name === 'transaction');
    assert.ok(httpTransaction, 'the HTTP execution\'s transaction');
    assert.equal(httpTransaction.attributes['jararaca.transaction.outcome'], 'commit');
    assert.ok(children(server).some((s) => s.name.startsWith('pg.query')), 'the INSERT as a pg query span');
    assert.ok(children(server).some((s) => s.name === 'websocket send'), 'the task.created WebSocket send');

    // Sent by the outbox relay after the commit, in the trace of the execution that staged it.
    const publish = children(server).find((s) => s.name === 'publish tasks.created');
    assert.ok(publish, 'the publish span, a child of the HTTP span');
    assert.equal(publish.kind, 4); // PRODUCER
    assert.equal(publish.attributes['messaging.system'], 'rabbitmq');
    assert.equal(publish.attributes['messaging.destination.name'], name);
    assert.equal(publish.attributes['jararaca.publish.via'], 'outbox');
    assert.equal(publish.attributes['jararaca.publish.confirmed'], true);

    const consumer = find((s) => s.name === 'process TaskCreated')!;
    assert.equal(consumer.parentSpanId, publish.spanId, 'the consumer span continues from the publish');
    assert.equal(consumer.kind, 5); // CONSUMER
    assert.equal(consumer.attributes['messaging.system'], 'rabbitmq');
    assert.equal(consumer.attributes['messaging.destination.name'], `${name}.markDone`);
    assert.equal(consumer.attributes['messaging.message.id'], publish.attributes['messaging.message.id']);
    assert.equal(consumer.attributes['jararaca.message.attempt'], 1);
    const workerTransaction = children(consumer).find((s) => s.name === 'transaction')!;
    assert.equal(workerTransaction.attributes['jararaca.transaction.outcome'], 'commit');
    assert.ok(children(consumer).some((s) => s.name === 'websocket send'), 'the task.done WebSocket send');
    assert.equal(new Set(ofTrace().map((s) => s.service)).size, 1);
    assert.ok(id);
  });
});
