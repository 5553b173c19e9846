// The fast version of the database-outage fault (test/faults/database-outage.ts): PostgreSQL
// cut for 3 s while 30 messages are queued → none dead-lettered, all handled after it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { databaseOutage } from '../faults/database-outage.ts';

test('PostgreSQL unreachable while messages are queued: the worker pauses (not ready), dead-letters none, handles all once it is back', async () => {
  const f = await databaseOutage({ messages: 30, outageMs: 3000 });
  assert.equal(f.deadLettered, 0);
  assert.equal(f.handled, 30);
  assert.equal(f.extraAttempts, 0, 'the outage used no attempt');
  assert.ok(f.notReadyDuringOutage > 0, 'the worker said it was not ready during the outage');
});
