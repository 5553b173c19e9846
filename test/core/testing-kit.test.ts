// jararaca/testing against the example service, in this process, on the embedded engines
// (nothing installed): a task posted, settled, done, and both WebSocket frames seen.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { useSession } from 'jararaca/knex-session';
import { usePublisher } from 'jararaca/message-bus';
import { createTestHost, TestClock, type TestHost } from 'jararaca/testing';
import { TaskCreated } from '../../examples/tasks/messages.ts';
import { repoRoot } from '../support/host.ts';

const example = `${repoRoot}examples/tasks/service.yaml`;
const open: TestHost[] = [];
after(() => Promise.all(open.map((h) => h.close())));

async function tasksHost(options: Parameters<typeof createTestHost>[1] = {}): Promise<TestHost> {
  const host = await createTestHost(example, options);
  open.push(host);
  return host;
}

test('a task posted is done after settle(), and the WebSocket client heard task.created and task.done', async () => {
  const host = await tasksHost();
  const client = await host.ws('/ws');
  const res = await host.inject({ method: 'POST', url: '/tasks', payload: { title: 'milk' } });
  assert.equal(res.statusCode, 201);
  const task = res.json<{ id: string; status: string }>();
  assert.equal(task.status, 'pending');

  await host.settle();

  const got = await host.inject(`/tasks/${task.id}`);
  assert.equal(got.json<{ status: string }>().status, 'done');
  assert.deepEqual(host.published().map((m) => [m.name, m.payload]), [['TaskCreated', { id: task.id }]]);
  assert.deepEqual(
    client.frames.filter((f) => f.type !== 'hello').map((f) => [f.type, (f.data as { id: string }).id]),
    [
      ['task.created', task.id],
      ['task.done', task.id],
    ],
  );
});

test('two test hosts in one process each have their own database, broker and WebSocket clients', async () => {
  const [a, b] = await Promise.all([tasksHost(), tasksHost()]);
  const clientB = await b.ws('/ws');
  const created = await a.inject({ method: 'POST', url: '/tasks', payload: { title: 'only in a' } });
  assert.equal(created.statusCode, 201);
  await Promise.all([a.settle(), b.settle()]);
  assert.equal((await a.inject('/tasks')).json<{ total: number }>().total, 1);
  assert.equal((await b.inject('/tasks')).json<{ total: number }>().total, 0);
  assert.equal(b.published().length, 0);
  assert.deepEqual(clientB.framesOf('task.created'), []);
});

test('a provider is replaced by its token', async () => {
  const fixed = new Date('2024-05-01T12:00:00.000Z');
  const host = await tasksHost({ overrides: { clock: { now: () => fixed } } });
  const res = await host.inject({ method: 'POST', url: '/tasks', payload: { title: 'dated' } });
  assert.equal(res.json<{ createdAt: string }>().createdAt, fixed.toISOString());
});

test('publish() reaches the worker; run() executes with hooks and commits; fire() runs a scheduled action through the interceptors', async () => {
  const host = await tasksHost();
  const id = await host.run(async () => {
    const [row] = await useSession()('tasks').insert({ id: crypto.randomUUID(), title: 'old', status: 'pending', created_at: new Date('2024-01-01T00:00:00Z') }, ['id']);
    return (row as { id: string }).id;
  });
  await host.fire('republishStaleTasks');
  await host.settle();
  assert.deepEqual(host.published('TaskCreated').map((m) => m.payload), [{ id }]);
  assert.equal((await host.inject(`/tasks/${id}`)).json<{ status: string }>().status, 'done');

  // From "another service": the worker marks it done again (idempotent), nothing else leaves.
  await host.publish(TaskCreated, { id });
  await host.settle();
  assert.equal(host.published().length, 2);

  // usePublisher() inside run(): staged, and sent when run() resolves.
  await host.run(() => void usePublisher().publish(TaskCreated, { id }));
  await host.settle();
  assert.equal(host.published('TaskCreated').length, 3);
});

test('fire() of an unknown action names the actions there are', async () => {
  const host = await tasksHost();
  await assert.rejects(host.fire('nope'), { code: 'JRR_UNKNOWN_ACTION', message: /republishStaleTasks/ });
});

test('with a TestClock the scheduler role runs, and fires an action when the test moves time to its slot', async () => {
  const clock = new TestClock('2024-05-01T12:00:00.200Z');
  const host = await tasksHost({ clock });
  const id = await host.run(async () => {
    const [row] = await useSession()('tasks').insert({ id: crypto.randomUUID(), title: 'old', status: 'pending', created_at: new Date('2024-01-01T00:00:00Z') }, ['id']);
    return (row as { id: string }).id;
  });
  await clock.advance(4000); // 12:00:04.2: no slot yet (every 5 s)
  await host.settle();
  assert.deepEqual(host.published(), []);
  await clock.advance(1000); // past 12:00:05: republishStaleTasks fires
  await host.settle();
  assert.deepEqual(host.published('TaskCreated').map((m) => m.payload), [{ id }]);
});
