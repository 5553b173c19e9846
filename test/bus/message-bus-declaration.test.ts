// Message handler declarations checked before anything runs, and the worker's --handlers filter.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { freePort, runHost, spawnHost, writeService } from '../support/host.ts';

const handlers = (second: string) => `
import { defineMessage, MessageBusController, MessageHandler } from 'jararaca';
export const Charge = defineMessage({ name: 'Charge', topic: 'billing.charge', kind: 'task', schema: { type: 'object' } as const });
export const Charged = defineMessage({ name: 'Charged', topic: 'billing.charged', kind: 'event', schema: { type: 'object' } as const });
@MessageBusController()
export class Billing {
  @MessageHandler(Charge, { name: 'charge' }) async charge() {}
  @MessageHandler(${second}, { name: 'second' }) async second() {}
  @MessageHandler(Charged, { name: 'audit' }) async audit() {}
}
`;

const yaml = `name: billing
interceptors:
  - use: message-bus
    with: { url: "memory://" }
controllers: [./billing.ts]
`;

test('a task message with two handlers fails validate and start with exit 2, naming the message and both handlers', async () => {
  const dir = writeService({ 'billing.ts': handlers('Charge'), 'service.yaml': yaml });
  for (const args of [['validate'], ['--role', 'worker']]) {
    const result = await runHost([...args, '--config', path.join(dir, 'service.yaml')]);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /task message Charge has 2 handlers \(Billing\.charge, Billing\.second\): a task has exactly one/);
  }
});

test('an event may have several handlers, each its own queue', async () => {
  const dir = writeService({ 'billing.ts': handlers('Charged'), 'service.yaml': yaml });
  const result = await runHost(['validate', '--config', path.join(dir, 'service.yaml')]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /queue billing\.second/);
  assert.match(result.stdout, /queue billing\.audit/);
});

test('--handlers consumes only the named handlers; an unknown name exits 2 listing the handlers', async () => {
  const dir = writeService({ 'billing.ts': handlers('Charged'), 'service.yaml': yaml });
  const config = path.join(dir, 'service.yaml');
  const unknown = await runHost(['--role', 'worker', '--handlers', 'charge,nope', '--config', config]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /no message handler named nope; handlers: charge, second, audit/);

  const worker = await spawnHost(config, { args: ['--role', 'worker', '--handlers', 'audit,charge', '--health-port', String(await freePort())], waitReady: false });
  try {
    await worker.waitForLog((l) => l.msg === `billing started`);
    const consuming = worker.logs().filter((l) => l.msg === 'consuming').map((l) => l.handler);
    assert.deepEqual(consuming.sort(), ['audit', 'charge']);
  } finally {
    assert.equal(await worker.stop(), 0);
  }
});

test('validate shows the outbox and inbox on the knex-session listed after message-bus; one listed before is refused', async () => {
  const after = `name: billing
interceptors:
  - use: message-bus
    with: { url: "memory://" }
  - use: knex-session
    with: { url: "pglite://memory" }
controllers: [./billing.ts]
`;
  const dir = writeService({ 'billing.ts': handlers('Charged'), 'service.yaml': after });
  const on = await runHost(['validate', '--config', path.join(dir, 'service.yaml')]);
  assert.equal(on.code, 0, on.stderr);
  assert.match(on.stdout, /outbox on knex-session 'default', inbox on 'default'/);

  const before = `name: billing
interceptors:
  - use: knex-session
    with: { url: "pglite://memory", connection: main }
  - use: message-bus
    with: { url: "memory://", outbox: { connection: main } }
controllers: [./billing.ts]
`;
  const dir2 = writeService({ 'billing.ts': handlers('Charged'), 'service.yaml': before });
  const refused = await runHost(['validate', '--config', path.join(dir2, 'service.yaml')]);
  assert.equal(refused.code, 2, refused.stderr);
  assert.match(refused.stderr, /no knex-session with connection 'main' is listed after message-bus/);

  const dir3 = writeService({ 'billing.ts': handlers('Charged'), 'service.yaml': before.replace('outbox: { connection: main }', 'outbox: false') });
  const off = await runHost(['validate', '--config', path.join(dir3, 'service.yaml')]);
  assert.equal(off.code, 0, off.stderr);
  assert.match(off.stdout, /no outbox/);
});
