// The service in this process on the embedded engines (see jararaca's docs/testing.md).
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createTestHost } from 'jararaca/testing';

const host = await createTestHost(fileURLToPath(new URL('../service.yaml', import.meta.url)));
after(() => host.close());

test('a note posted is seen by the worker, and WebSocket clients hear of both', async () => {
  const client = await host.ws('/ws');
  const res = await host.inject({ method: 'POST', url: '/notes', payload: { text: 'hello' } });
  assert.equal(res.statusCode, 201);
  const { id } = res.json<{ id: string }>();

  await host.settle();

  assert.equal((await host.inject(`/notes/${id}`)).json<{ status: string }>().status, 'seen');
  assert.deepEqual(host.published().map((m) => m.name), ['NoteCreated']);
  assert.deepEqual(client.frames.map((f) => f.type), ['hello', 'note.created', 'note.seen']);
});

test('an invalid note is a 400', async () => {
  assert.equal((await host.inject({ method: 'POST', url: '/notes', payload: { text: '' } })).statusCode, 400);
});

test('the scheduled action runs', async () => {
  await host.fire('countNotes');
});
