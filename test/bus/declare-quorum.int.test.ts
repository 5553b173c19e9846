// Production RabbitMQ: `jararaca-host declare` asserts the topology without consuming,
// queueType: quorum makes every queue a quorum queue (retries still work through them), and a
// list of broker URLs is tried in turn (the first node here is down).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { freePort, runHost, servers, spawnHost, uniqueName, writeService } from '../support/host.ts';
import { deleteBrokerObjects } from '../support/broker.ts';
import { publishRaw, queueDepth, until } from '../faults/support.ts';

const name = uniqueName('declare').replace(/_/g, '-');
const exchange = uniqueName('jrr_declare_ex');
let dir = '';

function service(queueType: 'classic' | 'quorum', urls: string[]): string {
  dir ||= writeService({
    'controller.ts': `
import { writeFileSync } from 'node:fs';
import { defineMessage, MessageBusController, MessageHandler, type MessageContext } from 'jararaca';
export const Ping = defineMessage({ name: 'Ping', topic: 'declare.ping', kind: 'task', schema: { type: 'object' } as const });
@MessageBusController({ retry: { maxAttempts: 3, initialDelayMs: 100, maxDelayMs: 200 } })
export class Pings {
  @MessageHandler(Ping, { name: 'ping' })
  async run(_p: unknown, ctx: MessageContext) {
    if (ctx.attempt === 1) throw new Error('fails once');
    writeFileSync(process.env.DONE_FLAG!, String(ctx.attempt));
  }
}
`,
  });
  const file = path.join(dir, `service.${queueType}.yaml`);
  writeFileSync(
    file,
    `name: ${name}
interceptors:
  - use: message-bus
    with:
      url: [${urls.map((u) => JSON.stringify(u)).join(', ')}]
      exchange: ${exchange}
      queueType: ${queueType}
      reconnect: { initialDelayMs: 100, maxDelayMs: 200 }
controllers:
  - ./controller.ts
worker:
  healthPort: 0
`,
  );
  return file;
}

const queues = () =>
  Object.fromEntries(
    execFileSync('rabbitmqctl', ['-q', 'list_queues', '--no-table-headers', 'name', 'type', 'consumers'], { encoding: 'utf8' })
      .split('\n')
      .map((l) => l.trim().split(/\s+/))
      .filter(([q]) => q?.startsWith(`${name}.`))
      .map(([q, type, consumers]) => [q, { type, consumers: Number(consumers) }]),
  );

after(async () => {
  await deleteBrokerObjects(name, [exchange]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('declare asserts quorum queues without consuming, through a list of nodes whose first is down; a worker then retries through them', async () => {
  const down = `amqp://guest:guest@127.0.0.1:${await freePort()}`;
  const quorum = service('quorum', [down, servers.amqp]);
  const first = await runHost(['declare', '--config', quorum]);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, new RegExp(`${name}\\.ping ← declare\\.ping`));
  const declared = queues();
  assert.equal(declared[`${name}.ping`]?.type, 'quorum');
  assert.equal(declared[`${name}.ping.dlq`]?.type, 'quorum');
  assert.ok(Object.keys(declared).some((q) => q.startsWith(`${name}.ping.retry.`) && declared[q].type === 'quorum'), 'retry queues are quorum queues');
  assert.equal(declared[`${name}.ping`].consumers, 0, 'declare consumes nothing');

  assert.equal((await runHost(['declare', '--config', quorum])).code, 0, 'declare is idempotent');
  const classic = await runHost(['declare', '--config', service('classic', [servers.amqp])]);
  assert.equal(classic.code, 1);
  assert.match(classic.stderr, /JRR_BUS_TOPOLOGY|refused the topology/);

  // Published before any worker ran: the declared queue kept it.
  await publishRaw(exchange, 'declare.ping', 'Ping', [{}]);
  assert.equal(await queueDepth(`${name}.ping`), 1);
  const flag = path.join(dir, 'done');
  const worker = await spawnHost(quorum, { args: ['--role', 'worker'], env: { DONE_FLAG: flag, LOG_LEVEL: 'warn' }, waitReady: false });
  try {
    await until('the message handled on its second attempt', () => existsSync(flag), 30000);
  } finally {
    await worker.stop();
  }
});
