// The fast version of the Redis-outage fault (test/faults/redis-outage.ts): Redis cut for 3 s
// while a replica sends → the client on the other replica gets every message, in order.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { redisOutage } from '../faults/redis-outage.ts';

test('Redis unreachable for 3 s while sending: every WebSocket message arrives, in order, once it is back', async () => {
  const f = await redisOutage({ outageMs: 3000, sendEveryMs: 20 });
  assert.ok(f.sentDuringOutage > 10, `sent ${f.sentDuringOutage} during the outage`);
  assert.equal(f.lost, 0, `lost ${f.lost} of ${f.sent}`);
  assert.equal(f.received, f.sent);
  assert.ok(f.inOrder, 'in order');
});
