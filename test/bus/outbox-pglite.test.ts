// The outbox and inbox on the embedded engines (PGlite in memory, the in-process broker), every
// role in one process: what the tasks example runs with nothing installed.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { http, spawnHost, uniqueName, type SpawnedHost } from '../support/host.ts';
import { countBy, until, writeOutboxService, type ItemsState } from './outbox-service.ts';

let host: SpawnedHost;
const state = async () => (await http('GET', `${host.url}/items/state`)).body as ItemsState;

before(async () => {
  const config = writeOutboxService(uniqueName('obx'), { retentionMs: 3000 });
  host = await spawnHost(config, { env: { BUS_URL: 'memory://', DATABASE_URL: 'pglite://memory' } });
});
after(async () => {
  await host?.stop();
});

test('pglite: a published message is written to the outbox with the row and relayed after the commit', async () => {
  const res = await http('POST', `${host.url}/items`, { id: 'a1' });
  assert.equal(res.status, 201);
  const s = await until('a1 handled by both handlers', async () => {
    const s = await state();
    return countBy(s.handled, 'record').get('a1') && countBy(s.handled, 'raw').get('a1') ? s : undefined;
  });
  const row = s.outbox.find((o) => o.message_id === res.body.messageId);
  assert.ok(row?.sent_at, 'the outbox row is marked sent');
  const ready = await http('GET', `${host.url}/health/ready`);
  assert.match(ready.body.checks['message-bus'].detail, /outbox: \d+ pending/);
});

test('pglite: a rolled-back execution leaves nothing in the outbox', async () => {
  const res = await http('POST', `${host.url}/items`, { id: 'rb1', fail: true, messageId: 'rb1-message' });
  assert.equal(res.status, 409);
  const s = await state();
  assert.ok(!s.items.includes('rb1'));
  assert.equal(s.outbox.length, (await state()).outbox.length);
  assert.ok(!s.handled.some((h) => h.item_id === 'rb1'));
  assert.equal(s.outbox.filter((o) => o.message_id === 'rb1-never').length, 0);
});

test('pglite: the same messageId delivered twice runs an inbox handler once, a handler without the inbox twice', async () => {
  const res = await http('POST', `${host.url}/items`, { id: 'dup1', twice: true });
  assert.equal(res.status, 201);
  const s = await until('dup1 delivered twice to raw', async () => {
    const s = await state();
    return countBy(s.handled, 'raw').get('dup1') === 2 ? s : undefined;
  });
  assert.equal(countBy(s.handled, 'record').get('dup1'), 1);
  await host.waitForLog((l) => typeof l.msg === 'string' && l.msg.includes('already handled'));
});

test('pglite: publish(at) is sent when due, and a delay past the broker\'s 7 days is accepted', async () => {
  const at = new Date(Date.now() + 1500).toISOString();
  const res = await http('POST', `${host.url}/items`, { id: 'at1', at });
  assert.equal(res.status, 201);
  assert.ok(!countBy((await state()).handled, 'record').get('at1'), 'not before its time');
  const s = await until('at1 handled', async () => {
    const s = await state();
    return countBy(s.handled, 'record').get('at1') ? s : undefined;
  });
  const handledAt = (s.handled.find((h) => h.item_id === 'at1') as unknown as { at: string }).at;
  assert.ok(new Date(handledAt).getTime() >= new Date(at).getTime() - 50, 'handled no earlier than at');

  const far = await http('POST', `${host.url}/items`, { id: 'far1', delayMs: 30 * 24 * 3600 * 1000 });
  assert.equal(far.status, 201, JSON.stringify(far.body));
  const row = (await state()).outbox.find((o) => o.message_id === far.body.messageId);
  assert.ok(row && row.sent_at === null, 'waits in the outbox');
});

test('pglite: a @ReadOnly() handler still publishes (directly, after its transaction)', async () => {
  const res = await http('POST', `${host.url}/items/readonly/ro1`);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  await until('ro1 handled', async () => countBy((await state()).handled, 'record').get('ro1') === 1);
  assert.ok(!(await state()).outbox.some((o) => o.message_id === res.body.messageId), 'not through the outbox');
});

test('pglite: sent rows are pruned after retentionMs, rows not sent yet are kept', async () => {
  const res = await http('POST', `${host.url}/items`, { id: 'prune1' });
  assert.equal(res.status, 201);
  const waiting = await http('POST', `${host.url}/items`, { id: 'prune2', delayMs: 3600000 });
  await until('prune1 sent', async () => (await state()).outbox.find((o) => o.message_id === res.body.messageId)?.sent_at);
  await until('prune1 pruned', async () => !(await state()).outbox.some((o) => o.message_id === res.body.messageId), 15000);
  assert.ok((await state()).outbox.some((o) => o.message_id === waiting.body.messageId && o.sent_at === null));
});
