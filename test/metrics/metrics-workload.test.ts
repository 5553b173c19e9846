// The metrics plugin in a spawned jararaca-host (every role in one process, the in-process
// broker): /metrics counts match a known workload — requests by route template, status and
// method (404s as one `unmatched` series), executions by kind, handler and outcome, messages
// received, acked and dead-lettered, scheduled fires — and each role's exposition (the HTTP
// port, the worker's and scheduler's health ports, a port of its own) passes `promtool check metrics`.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freePort, http, spawnHost, writeService, type SpawnedHost } from '../support/host.ts';
import { eventually } from '../support/eventually.ts';
import { parseExposition, promtoolCheck, scrape, valueOf } from './scrape.ts';

const controller = `
import { Get, MessageBusController, MessageHandler, Post, RestController, ScheduledAction, Unrecoverable, defineMessage, type FastifyRequest } from 'jararaca';
import { usePublisher } from 'jararaca/message-bus';
export const Added = defineMessage({ name: 'Added', topic: 'items.added', kind: 'event', schema: { type: 'object', required: ['id'], properties: { id: { type: 'string' }, poison: { type: 'boolean' } } } as const });
@RestController('/items')
export class Items {
  @Get('/:id')
  async one(request: FastifyRequest<{ Params: { id: string } }>) { return { id: request.params.id }; }
  @Post('/', { status: 202 })
  async add(request: FastifyRequest<{ Body: { id: string; poison?: boolean } }>) { usePublisher().publish(Added, request.body); return { queued: true }; }
  @Get('/broken/now')
  async broken() { throw new Error('boom'); }
}
@MessageBusController()
export class Consumer {
  @MessageHandler(Added, { name: 'consume', retry: { maxAttempts: 1 } })
  async consume(payload: typeof Added.Payload) { if (payload.poison) throw new Unrecoverable('poison on purpose'); }
}
export class Ticker {
  @ScheduledAction('* * * * * *', { name: 'tick' })
  async tick() {}
}
`;

// The port of its own from the environment: the single-role processes below take a free one.
function service(): string {
  return `name: metricsdemo
interceptors:
  - use: metrics
    with:
      port: \${METRICS_PORT:-0}
      host: 127.0.0.1
  - use: message-bus
    with: { url: "memory://" }
controllers: [./app.ts]
`;
}

describe('metrics of a known workload', () => {
  let dir: string;
  let host: SpawnedHost;
  let metricsPort: number;

  before(async () => {
    metricsPort = await freePort();
    dir = writeService({ 'service.yaml': service(), 'app.ts': controller });
    host = await spawnHost(path.join(dir, 'service.yaml'), { env: { LOG_LEVEL: 'warn', METRICS_PORT: String(metricsPort) } });
  });
  after(async () => {
    await host?.stop();
  });

  test('requests, executions, messages and scheduled fires are counted with bounded labels', async () => {
    for (let i = 0; i < 7; i++) assert.equal((await http('GET', `${host.url}/items/id-${i}`)).status, 200);
    for (let i = 0; i < 3; i++) assert.equal((await http('GET', `${host.url}/nowhere/${i}`)).status, 404);
    assert.equal((await http('GET', `${host.url}/items/broken/now`)).status, 500);
    for (let i = 0; i < 4; i++) assert.equal((await http('POST', `${host.url}/items`, { id: `m${i}` })).status, 202);
    assert.equal((await http('POST', `${host.url}/items`, { id: 'p', poison: true })).status, 202);

    const text = await eventually('5 messages settled', async () => {
      const t = await scrape(`${host.url}/metrics`);
      return valueOf(t, 'jararaca_messages_settled_total') >= 5 && valueOf(t, 'jararaca_scheduled_slots_total', { outcome: 'succeeded' }) >= 1 && t;
    });
    const get = (name: string, labels: Record<string, string> = {}) => valueOf(text, name, labels);
    assert.equal(get('jararaca_http_requests_total', { route: '/items/:id', method: 'GET', status: '200' }), 7);
    assert.equal(get('jararaca_http_requests_total', { route: 'unmatched', method: 'GET', status: '404' }), 3);
    assert.equal(get('jararaca_http_requests_total', { route: '/items/broken/now', status: '500' }), 1);
    assert.equal(get('jararaca_http_requests_total', { route: '/items', method: 'POST', status: '202' }), 5);
    assert.equal(get('jararaca_http_request_duration_seconds_count', { route: '/items/:id', method: 'GET' }), 7);
    // No raw URL or id ever becomes a label.
    const routes = new Set(parseExposition(text).flatMap((s) => (s.labels.route ? [s.labels.route] : [])));
    assert.ok(![...routes].some((r) => /id-\d|nowhere/.test(r)), `routes: ${[...routes].join(', ')}`);

    assert.equal(get('jararaca_executions_total', { kind: 'http', handler: 'Items.one', outcome: 'ok' }), 7);
    assert.equal(get('jararaca_executions_total', { kind: 'http', handler: 'Items.broken', outcome: 'error' }), 1);
    assert.equal(get('jararaca_execution_duration_seconds_count', { kind: 'http', handler: 'Items.one' }), 7);
    assert.equal(get('jararaca_executions_total', { kind: 'message', handler: 'Consumer.consume', outcome: 'ok' }), 4);
    assert.equal(get('jararaca_executions_total', { kind: 'message', handler: 'Consumer.consume', outcome: 'error' }), 1);

    assert.equal(get('jararaca_messages_received_total', { handler: 'consume' }), 5);
    assert.equal(get('jararaca_messages_settled_total', { handler: 'consume', outcome: 'acked' }), 4);
    assert.equal(get('jararaca_messages_settled_total', { handler: 'consume', outcome: 'dead-lettered' }), 1);
    assert.equal(get('jararaca_messages_in_flight', { handler: 'consume' }), 0);
    assert.equal(get('jararaca_message_handling_duration_seconds_count', { handler: 'consume' }), 5);

    assert.ok(get('jararaca_scheduled_slots_total', { action: 'tick', outcome: 'fired' }) >= 1);
    assert.ok(get('jararaca_executions_total', { kind: 'scheduled', handler: 'Ticker.tick', outcome: 'ok' }) >= 1);
    assert.ok(get('jararaca_scheduled_lag_seconds_count', { action: 'tick' }) >= 1);
    assert.ok(get('process_cpu_time_seconds_total') > 0 || get('process_cpu_time_total') > 0, 'process CPU time');
    assert.ok(get('nodejs_heap_used_bytes') > 0);

    const check = promtoolCheck(text);
    assert.equal(check.code, 0, check.output);
  });

  test('the port of its own serves the same metrics, and only at the path', async () => {
    const text = await scrape(`http://127.0.0.1:${metricsPort}/metrics`);
    assert.ok(valueOf(text, 'jararaca_http_requests_total') > 0);
    assert.equal((await fetch(`http://127.0.0.1:${metricsPort}/other`)).status, 404);
    const check = promtoolCheck(text);
    assert.equal(check.code, 0, check.output);
  });

  for (const role of ['worker', 'scheduler'] as const) {
    test(`the ${role} role alone serves /metrics on its health port`, async () => {
      const healthPort = await freePort();
      const alone = await spawnHost(path.join(dir, 'service.yaml'), { args: ['--role', role, '--health-port', String(healthPort)], env: { LOG_LEVEL: 'warn' }, waitReady: false });
      try {
        const text = await eventually(`${role} /metrics`, () => scrape(`http://127.0.0.1:${healthPort}/metrics`), { timeoutMs: 30000, intervalMs: 100 });
        assert.ok(valueOf(text, 'process_start_time_seconds') > 0, text.slice(0, 500));
        if (role === 'scheduler') {
          const fired = await eventually('a tick', async () => valueOf(await scrape(`http://127.0.0.1:${healthPort}/metrics`), 'jararaca_scheduled_slots_total', { action: 'tick', outcome: 'fired' }) >= 1, { timeoutMs: 5000 });
          assert.ok(fired);
        }
        const check = promtoolCheck(text);
        assert.equal(check.code, 0, check.output);
        assert.equal((await fetch(`http://127.0.0.1:${healthPort}/health/ready`)).status, 200);
      } finally {
        await alone.stop();
      }
    });
  }
});
