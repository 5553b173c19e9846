// The scheduler's lock backends (the redis and knex-session plugins' providers) against real
// servers, and the host's in-process one: one claim per (action, slot), never an older slot;
// leases exclusive, renewable, released only by their owner, and expiring when their holder dies.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { Redis } from 'ioredis';
import { systemClock } from '../../host/roles/scheduler/clock.ts';
import type { SchedulerLock } from '../../host/roles/scheduler/lock.ts';
import { selectLock } from '../../host/roles/scheduler/select-lock.ts';
import { schedulerLockProvider } from '../../plugins/knex-session/scheduler-lock.ts';
import { redisLockProvider } from '../../plugins/redis/lock.ts';
import { servers, uniqueName } from '../support/host.ts';
import { freshDatabase } from '../support/database.ts';
import { eventually } from '../support/eventually.ts';

const redisPrefix = `${uniqueName('jrr_sched_locks')}:`;
let database: Awaited<ReturnType<typeof freshDatabase>> | undefined;
let dbUrl = '';

before(async () => {
  database = await freshDatabase('jrr_sched_locks');
  dbUrl = database.url;
});

after(async () => {
  await database?.drop();
  const redis = new Redis(servers.redis);
  const keys = await redis.keys(`${redisPrefix}*`);
  if (keys.length) await redis.del(...keys);
  await redis.quit();
});

const backends: Record<string, () => string> = {
  memory: () => 'memory://',
  redis: () => `${servers.redis}/?prefix=${encodeURIComponent(redisPrefix)}`,
  postgres: () => dbUrl,
};

async function open(url: string, service = 'svc'): Promise<SchedulerLock> {
  // What the knex-session and redis plugins provide, as the scheduler role finds them.
  const providers = [schedulerLockProvider(), redisLockProvider({ url: servers.redis })];
  const { lock } = selectLock({ url, service, clock: systemClock, providers });
  await lock.open();
  return lock;
}

for (const [kind, url] of Object.entries(backends)) {
  describe(`${kind} lock`, () => {
    let a: SchedulerLock;
    let b: SchedulerLock;
    before(async () => {
      a = await open(url());
      // Another replica: a second connection (the in-process lock is per process by design).
      b = kind === 'memory' ? a : await open(url());
    });
    after(async () => {
      await a.close();
      if (b !== a) await b.close();
    });

    test('a slot is claimed once among concurrent replicas, and an older slot never after a newer one', async () => {
      const slot = Date.parse('2024-01-01T00:00:05.000Z');
      const results = await Promise.all([a.claim('tick', slot), b.claim('tick', slot), a.claim('tick', slot), b.claim('tick', slot)]);
      assert.equal(results.filter(Boolean).length, 1);
      assert.equal(await b.claim('tick', slot - 1000), false, 'a late replica cannot fire an older slot');
      assert.equal(await b.claim('tick', slot + 1000), true);
      assert.equal(await a.claim('other', slot), true, 'claims are per action');
    });

    test('claims are per service', async () => {
      if (kind === 'memory') return;
      const other = await open(url(), 'another-service');
      try {
        assert.equal(await other.claim('tick', Date.parse('2024-01-01T00:00:05.000Z')), true);
      } finally {
        await other.close();
      }
    });

    test('a lease is exclusive, renewable, and released only by its owner', async () => {
      const lease = await a.acquire('run:tick', 5000);
      assert.ok(lease);
      assert.equal(await b.acquire('run:tick', 5000), undefined);
      assert.equal(await lease.renew(), true);
      await lease.release();
      const next = await b.acquire('run:tick', 5000);
      assert.ok(next, 'free after release');
      await lease.release(); // the old owner's release must not delete the new owner's lease
      assert.equal(await a.acquire('run:tick', 5000), undefined);
      await next.release();
    });

    test("a dead holder's lease expires", async () => {
      const lease = await a.acquire('run:crash', 300); // never renewed nor released: its holder "died"
      assert.ok(lease);
      // Another replica takes it after the TTL.
      await eventually('another replica to take the lease after its TTL', async () => (await b.acquire('run:crash', 5000)) !== undefined);
      assert.equal(await lease.renew(), false, 'the dead holder cannot renew it back');
    });

    test('the history of runs is shared, newest first, trimmed to its retention; a pause is seen by every replica', async () => {
      const base = Date.parse('2024-02-01T00:00:00.000Z');
      for (let i = 0; i < 5; i++) {
        await (i % 2 ? a : b).recordRun!({ action: 'hist', slot: base + i * 1000, trigger: 'schedule', outcome: 'ok', firedAt: Date.now(), replica: i % 2 ? 'a' : 'b' }, { perAction: 3, maxAgeMs: 60_000 });
      }
      const runs = await b.runs!('hist', { limit: 10 });
      assert.deepEqual(runs.map((r) => r.slot), [base + 4000, base + 3000, base + 2000], 'the newest three');
      assert.deepEqual((await a.runs!('hist', { limit: 10, before: base + 3000 })).map((r) => r.slot), [base + 2000]);
      await a.setPaused!('hist', { by: 'ops', at: base });
      assert.deepEqual(await b.pauses!(), { hist: { by: 'ops', at: base } });
      await b.setPaused!('hist', undefined);
      assert.deepEqual(await a.pauses!(), {});
    });
  });
}
