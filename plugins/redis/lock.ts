// The scheduler's Redis lock (scheduler.lock: redis://...). Slot claims: one key per action holding the latest claimed slot, advanced by a
// Lua compare-and-set (a slot wins only if it is newer than every slot claimed before). Leases:
// SET key token NX PX ttl; renew and release compare the token first (Lua), so a replica never
// extends or deletes a lease that expired and was taken by another.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { redactUrl, type ActionPause, type ActionRun, type HistoryRetention, type Lease, type SchedulerLock, type SchedulerLockProvider } from 'jararaca';

const CLAIM = `
local last = tonumber(redis.call('GET', KEYS[1]) or '-1')
if last >= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
return 1`;
const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

export class RedisLock implements SchedulerLock {
  readonly kind = 'redis';
  readonly where: string;
  readonly #url: string;
  readonly #prefix: string;
  #redis: Redis | undefined;

  /** Keys are `<prefix><service>:scheduler:...`; `?prefix=...` in the URL overrides `prefix` (default `jararaca:`). */
  constructor(url: string, service: string, prefix = 'jararaca:') {
    const parsed = new URL(url);
    this.#prefix = `${parsed.searchParams.get('prefix') ?? prefix}${service}:scheduler:`;
    parsed.searchParams.delete('prefix');
    this.#url = parsed.toString();
    this.where = redactUrl(this.#url);
  }

  get #client(): Redis {
    if (!this.#redis) throw new Error('the Redis scheduler lock is not open');
    return this.#redis;
  }

  async open(): Promise<void> {
    this.#redis = new Redis(this.#url, { lazyConnect: true, maxRetriesPerRequest: 2, enableOfflineQueue: true });
    // Without a listener ioredis prints every connection error with its stack to stderr; the
    // failed commands reach the scheduler, which logs them.
    this.#redis.on('error', () => undefined);
    await this.#redis.connect();
  }

  async claim(action: string, slot: number): Promise<boolean> {
    return (await this.#client.eval(CLAIM, 1, `${this.#prefix}last:${action}`, String(slot))) === 1;
  }

  async acquire(key: string, ttlMs: number): Promise<Lease | undefined> {
    const redisKey = `${this.#prefix}lease:${key}`;
    const token = randomUUID();
    const ok = await this.#client.set(redisKey, token, 'PX', ttlMs, 'NX');
    if (ok !== 'OK') return undefined;
    return {
      renew: async () => (await this.#client.eval(RENEW, 1, redisKey, token, String(ttlMs))) === 1,
      release: async () => {
        await this.#client.eval(RELEASE, 1, redisKey, token);
      },
    };
  }

  // History: a list per action (newest first), trimmed to perAction; runs older than
  // maxAgeMs go with the list, which expires maxAgeMs after its latest run. Pauses: one hash.
  async recordRun(run: ActionRun, retention: HistoryRetention): Promise<void> {
    const key = `${this.#prefix}runs:${run.action}`;
    await this.#client.multi().lpush(key, JSON.stringify(run)).ltrim(key, 0, retention.perAction - 1).pexpire(key, retention.maxAgeMs).exec();
  }

  async runs(action: string, options: { limit: number; before?: number }): Promise<ActionRun[]> {
    const all = (await this.#client.lrange(`${this.#prefix}runs:${action}`, 0, -1)).map((t) => JSON.parse(t) as ActionRun);
    return all.filter((r) => options.before === undefined || r.slot < options.before).slice(0, options.limit);
  }

  async setPaused(action: string, pause: ActionPause | undefined): Promise<void> {
    if (pause) await this.#client.hset(`${this.#prefix}paused`, action, JSON.stringify(pause));
    else await this.#client.hdel(`${this.#prefix}paused`, action);
  }

  async pauses(): Promise<Record<string, ActionPause>> {
    const all = await this.#client.hgetall(`${this.#prefix}paused`);
    return Object.fromEntries(Object.entries(all).map(([action, text]) => [action, JSON.parse(text) as ActionPause]));
  }

  async close(): Promise<void> {
    await this.#redis?.quit().catch(() => this.#redis?.disconnect());
    this.#redis = undefined;
  }
}

/**
 * What the redis plugin provides under SCHEDULER_LOCK_CAPABILITY: a lock for any redis:// or
 * rediss:// scheduler.lock (its own connection, opened by the role). No default: the lock is
 * where scheduler.lock says.
 */
export function redisLockProvider(options: { url: string; prefix?: string }): SchedulerLockProvider {
  return {
    kind: 'redis',
    schemes: ['redis', 'rediss'],
    create: ({ url, service }) => new RedisLock(url ?? options.url, service, options.prefix),
  };
}
