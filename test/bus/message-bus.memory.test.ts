// The message bus on the in-process broker (memory://): the behavioural suite, plus checks
// that need no network broker.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { uniqueName } from '../support/host.ts';
import { behaviouralSuite } from './message-bus.suite.ts';

behaviouralSuite('memory', () => `memory://${uniqueName('bus')}`);

test('memory: topic matching follows AMQP (* one word, # any words)', async () => {
  const { topicMatcher, delayBucket } = await import('jararaca/message-bus');
  assert.equal(topicMatcher('item.created')('item.created.extra'), false);
  assert.equal(topicMatcher('item.created.#')('item.created'), true);
  assert.equal(topicMatcher('item.created.#')('item.created.extra.more'), true);
  assert.equal(topicMatcher('item.*')('item.created.extra'), false);
  assert.equal(topicMatcher('#.extra')('item.created.extra'), true);
  // A delay lands in a bucket at most √2 above it, never below.
  for (const ms of [1, 99, 100, 101, 150, 999, 1000, 5000, 60000, 3_600_000]) {
    const b = delayBucket(ms);
    assert.ok(b >= ms && b <= Math.max(100, ms * Math.SQRT2 + 1), `${ms} → ${b}`);
  }
});
