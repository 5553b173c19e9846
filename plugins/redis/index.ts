// Built-in `redis` plugin: a Redis server for the service. Provides the scheduler lock for
// `scheduler.lock: redis://...` (capability SCHEDULER_LOCK_CAPABILITY) and reports the server's
// reachability in /health/ready. ioredis lives here, not in the host.
import { definePlugin, redactUrl, SCHEDULER_LOCK_CAPABILITY } from 'jararaca';
import { Redis } from 'ioredis';
import { redisLockProvider } from './lock.ts';

export { RedisLock, redisLockProvider } from './lock.ts';

export const optionsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['url'],
  properties: {
    url: { type: 'string', pattern: '^rediss?://', description: 'redis://user:password@host:6379/0 (rediss:// for TLS).' },
    prefix: { type: 'string', default: 'jararaca:', description: "Start of every key this plugin writes (the lock's are <prefix><service>:scheduler:...). A ?prefix= in scheduler.lock overrides it." },
  },
} as const;

export default definePlugin({
  name: 'redis',
  options: optionsSchema,
  setup(ctx) {
    const { url, prefix = 'jararaca:' } = ctx.options;
    const where = redactUrl(url);
    // Only for health; each scheduler lock opens its own connection when the role opens it.
    let client: Redis | undefined;
    return {
      // 'redis': where the server is, for plugins that keep their own keys there (the console's heartbeats).
      provides: { [SCHEDULER_LOCK_CAPABILITY]: redisLockProvider({ url, prefix }), redis: { url, prefix } },
      async start() {
        client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
        // Reconnects on its own; an unreachable server is what health reports, not a crash.
        client.on('error', (err: Error) => ctx.logger.debug({ err }, 'redis connection error'));
        await client.connect().catch((err: unknown) => ctx.logger.warn({ err, url: where }, `redis unreachable at ${where}`));
      },
      async stop() {
        await client?.quit().catch(() => client?.disconnect());
        client = undefined;
      },
      health: () => (client?.status === 'ready' ? { ready: true } : { ready: false, detail: `redis unreachable at ${where}` }),
      describe: () => [`redis: ${where}${prefix === 'jararaca:' ? '' : `, prefix '${prefix}'`}`],
    };
  },
});
