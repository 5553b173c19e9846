// The fast version of the stuck-shutdown fault (test/faults/stuck-shutdown.ts): a handler stuck
// 14 s in a database transaction does not hold its process past the shutdown deadline, in any role.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { stuckShutdown } from '../faults/stuck-shutdown.ts';

for (const role of ['worker', 'http', 'scheduler'] as const) {
  test(`${role}: SIGTERM with a handler stuck 14 s: the process exits by shutdownTimeoutMs plus the margin`, async () => {
    const f = await stuckShutdown({ shutdownTimeoutMs: 3000, stuckMs: 14000, role });
    assert.ok(f.exitMs < f.stuckMs, `exited after ${f.exitMs} ms, before the handler would have finished`);
    assert.ok(f.exitMs <= f.shutdownTimeoutMs + f.marginMs + 1500, `exited after ${f.exitMs} ms (deadline ${f.shutdownTimeoutMs} + ${f.marginMs} ms)`);
    if (role === 'worker') assert.equal(f.requeued, 1, 'the stuck message is back in its queue');
  });
}
