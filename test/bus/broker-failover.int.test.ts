// A list of broker URLs (a cluster's nodes): when the node in use goes away, the worker
// reconnects to the next one in turn and keeps consuming. Node 1 is a TCP forwarder to the
// shared RabbitMQ (cut by the test), node 2 the shared RabbitMQ itself.
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { servers, spawnHost, uniqueName, writeService } from '../support/host.ts';
import { targetOf, TcpForwarder } from '../support/tcp-forwarder.ts';
import { deleteBrokerObjects } from '../support/broker.ts';
import { publishRaw, queueDepth, until } from '../faults/support.ts';

test('the node in use goes away: the worker reconnects to the next URL of the list and consumes on', async () => {
  const node1 = await TcpForwarder.start(targetOf(servers.amqp));
  const name = uniqueName('failover').replace(/_/g, '-');
  const exchange = uniqueName('jrr_failover_ex');
  const dir = writeService({
    'service.yaml': `name: ${name}
interceptors:
  - use: message-bus
    with:
      url: [${JSON.stringify(node1.rewrite(servers.amqp))}, ${JSON.stringify(servers.amqp)}]
      exchange: ${exchange}
      reconnect: { initialDelayMs: 100, maxDelayMs: 300 }
controllers:
  - ./controller.ts
worker:
  healthPort: 0
`,
    'controller.ts': `
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { defineMessage, MessageBusController, MessageHandler } from 'jararaca';
export const Hop = defineMessage({ name: 'Hop', topic: 'failover.hop', kind: 'task', schema: { type: 'object', required: ['id'], properties: { id: { type: 'string' } } } as const });
@MessageBusController()
export class Hops {
  @MessageHandler(Hop, { name: 'hop' })
  async run(p: { id: string }) {
    writeFileSync(path.join(process.env.OUT_DIR!, p.id), 'x');
  }
}
`,
  });
  const host = await spawnHost(path.join(dir, 'service.yaml'), { args: ['--role', 'worker'], env: { OUT_DIR: dir, LOG_LEVEL: 'info' }, waitReady: false });
  try {
    await until('consuming', async () => (await queueDepth(`${name}.hop`)) !== undefined && host.logs().some((l) => l.msg === 'consuming'), 30000);
    await publishRaw(exchange, 'failover.hop', 'Hop', [{ id: 'before' }]);
    await until('handled through node 1', () => existsSync(path.join(dir, 'before')), 15000);
    node1.cut();
    await host.waitForLog((l) => String(l.msg).startsWith('reconnected to the message broker') && String(l.url).includes(targetOf(servers.amqp).port.toString()), 20000);
    await publishRaw(exchange, 'failover.hop', 'Hop', [{ id: 'after' }]);
    await until('handled through node 2', () => existsSync(path.join(dir, 'after')), 15000);
    assert.ok(node1.refused > 0, 'node 1 was tried again first, and refused');
  } finally {
    await host.stop();
    await node1.close();
    await deleteBrokerObjects(name, [exchange]);
    rmSync(dir, { recursive: true, force: true });
  }
});
