// pglite://memory runs in a child process of the service's (pglite-process.ts): it goes when the
// service goes, however that ends, and a child that died is a 503 JRR_DB_UNAVAILABLE, not a hang.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { createTestHost, type TestHost } from 'jararaca/testing';
import { eventually } from '../support/eventually.ts';
import { http, repoRoot, spawnHost } from '../support/host.ts';
import { databaseChildren } from '../support/processes.ts';

const example = `${repoRoot}examples/tasks/service.yaml`;
const open: TestHost[] = [];
after(() => Promise.all(open.map((h) => h.close())));

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test('the database process dies with a service killed with SIGKILL', async () => {
  const host = await spawnHost(example, { args: ['--role', 'http'], env: { DATABASE_URL: 'pglite://memory', AMQP_URL: 'memory://', REDIS_URL: 'memory://' } });
  const created = await http('POST', `${host.url}/tasks`, { title: 'kept until the end' });
  assert.equal(created.status, 201);
  const [database] = databaseChildren(host.child.pid!);
  assert.ok(database, 'the service has a database process');
  host.child.kill('SIGKILL');
  await eventually('the database process gone', () => !alive(database), { timeoutMs: 10_000 });
});

test('a database process that died: requests answer 503 JRR_DB_UNAVAILABLE, and the host still closes', async () => {
  const host = await createTestHost(example);
  open.push(host);
  assert.equal((await host.inject({ method: 'POST', url: '/tasks', payload: { title: 'before' } })).statusCode, 201);
  const children = databaseChildren(process.pid);
  assert.equal(children.length, 1);
  process.kill(children[0], 'SIGKILL');
  await eventually('the database process gone', () => !alive(children[0]), { timeoutMs: 10_000 });
  const res = await host.inject('/tasks');
  assert.equal(res.statusCode, 503, res.body);
  assert.equal(res.json<{ code: string }>().code, 'JRR_DB_UNAVAILABLE');
  await host.close();
});
