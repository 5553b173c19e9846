// The generated publisher, used by a producer that is not a jararaca service (plain amqplib),
// puts TaskCreated on the wire so that the tasks example's worker (RabbitMQ, PostgreSQL) handles
// it (the worker logs its greeting, with the messageId the publisher chose).
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, test } from 'node:test';
import amqplib from 'amqplib';
import { eventually } from '../support/eventually.ts';
import { http, repoRoot, servers, spawnHost, type SpawnedHost } from '../support/host.ts';
import { generateExampleClients } from './generate-clients.ts';

let dir = '';
const hosts: SpawnedHost[] = [];
before(async () => {
  dir = await generateExampleClients();
});
after(async () => {
  await Promise.all(hosts.map((h) => h.stop()));
  rmSync(dir, { recursive: true, force: true });
});

test('a message published with the generated publisher is handled by the example\'s worker', async () => {
  const env = { AMQP_URL: servers.amqp, DATABASE_URL: servers.postgres, REDIS_URL: undefined };
  const config = path.join(repoRoot, 'examples/tasks/service.yaml');
  hosts.push(await spawnHost(config, { args: ['--role', 'http'], env, timeoutMs: 120000 }));
  hosts.push(await spawnHost(config, { args: ['--role', 'worker'], env, timeoutMs: 120000 }));
  const [api, worker] = hosts;
  await worker.waitForLog((l) => typeof l.msg === 'string' && /worker|consum/i.test(l.msg), 60000);
  // The service works end to end first (its own TaskCreated handled); then a foreign HelloTask.
  const created = await http('POST', `${api.url}/tasks`, { title: 'from a foreign producer' });
  assert.equal(created.status, 201);
  await eventually('the POST\'s own TaskCreated to be handled', async () => (await http('GET', `${api.url}/tasks/${created.body.id}`)).body.status === 'done');

  const { createPublisher } = (await import(pathToFileURL(path.join(dir, 'client/messages.ts')).href)) as { createPublisher: (ch: unknown) => { publish(name: string, payload: unknown): string } };
  const connection = await amqplib.connect(servers.amqp);
  try {
    const channel = await connection.createConfirmChannel();
    const publisher = createPublisher(channel);
    const messageId = publisher.publish('HelloTask', { name: 'foreign' });
    await channel.waitForConfirms();
    const log = await worker.waitForLog((l) => l.msg === 'hello, foreign', 30000);
    assert.equal(log.messageId, messageId, 'the worker saw the messageId the publisher chose');
    await channel.close();
  } finally {
    await connection.close();
  }
});
