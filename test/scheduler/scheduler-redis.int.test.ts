// Three scheduler replicas coordinating through a real Redis (scheduler.lock: redis://):
// each slot fires exactly once in total, also after one replica is killed with SIGKILL.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Redis } from 'ioredis';
import { assertExactlyOnce, runThreeReplicas, type Fire } from './scheduler-suite.ts';
import { servers, uniqueName, writeService } from '../support/host.ts';

const prefix = `${uniqueName('jrr_sched_redis')}:`;
const redis = new Redis(servers.redis);

after(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
  await redis.quit();
});

test('three replicas on Redis fire every slot exactly once, also after kill -9 of one', async () => {
  const service = uniqueName('sched-redis').replace(/_/g, '-');
  const dir = writeService({
    'service.yaml': `name: ${service}
interceptors:
  - use: redis
    with:
      url: \${TEST_REDIS_URL}
      prefix: \${LOCK_PREFIX}
providers:
  redis:
    factory: ./redis.ts#createRedis
    dispose: quit
controllers:
  - ./jobs.ts
scheduler:
  lock: \${LOCK_URL}
  shutdownTimeoutMs: 3000
`,
    'redis.ts': `import { Redis } from 'ioredis';
export function createRedis() {
  return new Redis(process.env.TEST_REDIS_URL!);
}
`,
    'jobs.ts': `import type { Redis } from 'ioredis';
import { ScheduledAction, type ScheduledFire } from 'jararaca';
export class Jobs {
  readonly redis: Redis;
  constructor({ redis }: { redis: Redis }) {
    this.redis = redis;
  }
  @ScheduledAction('* * * * * *', { name: 'tick' })
  async tick(fire: ScheduledFire): Promise<void> {
    await this.redis.rpush(process.env.FIRES_KEY!, JSON.stringify({ slot: fire.slot.getTime(), pid: process.pid }));
  }
}
`,
  });
  const firesKey = `${prefix}fires`;
  const run = await runThreeReplicas({
    config: `${dir}/service.yaml`,
    env: { LOCK_URL: servers.redis, LOCK_PREFIX: prefix, TEST_REDIS_URL: servers.redis, FIRES_KEY: firesKey },
    readFires: async () => (await redis.lrange(firesKey, 0, -1)).map((s) => JSON.parse(s) as Fire),
  });
  assertExactlyOnce(run);
  // The lock's keys live under the redis plugin's prefix, namespaced by service.
  assert.ok((await redis.get(`${prefix}${service}:scheduler:last:tick`)) !== null);
  const started = run.replicas[1].logs().find((l) => typeof l.msg === 'string' && l.msg.startsWith('scheduler lock:'));
  assert.equal(started?.lock, 'redis');
});
