// The metrics plugin on a real RabbitMQ, the http and worker roles in separate processes: the
// http process's /metrics counts the publishes and their confirms, the worker's health port
// counts the messages received and acked, and a poison message (not JSON) dead-lettered.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import amqp from 'amqplib';
import { freePort, http, servers, spawnHost, uniqueName, writeService, type SpawnedHost } from '../support/host.ts';
import { eventually } from '../support/eventually.ts';
import { deleteBrokerObjects } from '../support/broker.ts';
import { promtoolCheck, scrape, valueOf } from './scrape.ts';

const controller = `
import { MessageBusController, MessageHandler, Post, RestController, defineMessage, type FastifyRequest } from 'jararaca';
import { usePublisher } from 'jararaca/message-bus';
export const Noted = defineMessage({ name: 'Noted', topic: 'notes.noted', kind: 'event', schema: { type: 'object', required: ['id'], properties: { id: { type: 'string' } } } as const });
@RestController('/notes')
export class Notes {
  @Post('/', { status: 202 })
  async add(request: FastifyRequest<{ Body: { id: string } }>) { usePublisher().publish(Noted, request.body); return { queued: true }; }
}
@MessageBusController()
export class Reader {
  @MessageHandler(Noted, { name: 'read' })
  async read() {}
}
`;

describe('metrics of messages through RabbitMQ', () => {
  const name = uniqueName('metricsbus').replace(/_/g, '-');
  const exchange = uniqueName('jrr_metrics_ex');
  const queue = `${name}.read`;
  const env = { BUS_URL: servers.amqp, BUS_EXCHANGE: exchange, LOG_LEVEL: 'warn' };
  let web: SpawnedHost;
  let worker: SpawnedHost;
  let workerMetrics: string;

  before(async () => {
    const dir = writeService({
      'service.yaml': `name: ${name}\ninterceptors:\n  - use: metrics\n  - use: message-bus\n    with: { url: "\${BUS_URL}", exchange: "\${BUS_EXCHANGE}" }\ncontrollers: [./notes.ts]\n`,
      'notes.ts': controller,
    });
    const config = path.join(dir, 'service.yaml');
    const healthPort = await freePort();
    workerMetrics = `http://127.0.0.1:${healthPort}/metrics`;
    worker = await spawnHost(config, { args: ['--role', 'worker', '--health-port', String(healthPort)], env: { ...env, LOG_LEVEL: 'info' }, waitReady: false });
    await worker.waitForLog((l) => l.msg === 'consuming', 30000);
    web = await spawnHost(config, { args: ['--role', 'http'], env });
  });

  after(async () => {
    await Promise.all([web?.stop(), worker?.stop()]);
    await deleteBrokerObjects(name, [exchange]);
  });

  test('N published and confirmed, N received and acked, a poison message dead-lettered', async () => {
    const n = 12;
    for (let i = 0; i < n; i++) assert.equal((await http('POST', `${web.url}/notes`, { id: `n${i}` })).status, 202);
    const webText = await scrape(`${web.url}/metrics`);
    assert.equal(valueOf(webText, 'jararaca_messages_published_total', { message: 'Noted', outcome: 'confirmed' }), n);
    assert.equal(valueOf(webText, 'jararaca_publish_confirm_duration_seconds_count', { message: 'Noted' }), n);
    assert.equal(promtoolCheck(webText).code, 0, promtoolCheck(webText).output);

    await eventually('n acked', async () => valueOf(await scrape(workerMetrics), 'jararaca_messages_settled_total', { outcome: 'acked' }) === n, { timeoutMs: 20000 });

    // A body that is not JSON: dead-lettered without an execution.
    const conn = await amqp.connect(servers.amqp);
    try {
      const ch = await conn.createConfirmChannel();
      ch.publish(exchange, 'notes.noted', Buffer.from('not json {'), { messageId: 'poison-1', type: 'Noted', contentType: 'application/json', persistent: true });
      await ch.waitForConfirms();
    } finally {
      await conn.close();
    }
    const text = await eventually('the poison message dead-lettered', async () => {
      const t = await scrape(workerMetrics);
      return valueOf(t, 'jararaca_messages_settled_total', { outcome: 'dead-lettered' }) === 1 && t;
    }, { timeoutMs: 20000 });
    const where = { handler: 'read', queue };
    assert.equal(valueOf(text, 'jararaca_messages_received_total', where), n + 1);
    assert.equal(valueOf(text, 'jararaca_messages_settled_total', { ...where, outcome: 'acked' }), n);
    assert.equal(valueOf(text, 'jararaca_messages_settled_total', { ...where, outcome: 'dead-lettered' }), 1);
    assert.equal(valueOf(text, 'jararaca_messages_in_flight', where), 0);
    assert.equal(valueOf(text, 'jararaca_executions_total', { kind: 'message', handler: 'Reader.read', outcome: 'ok' }), n);
    const check = promtoolCheck(text);
    assert.equal(check.code, 0, check.output);
  });
});
