// Where the processes' heartbeats are kept: the service's own engines, so every replica sees
// every other one. The database of knex-session's default connection (a table), else the
// redis plugin's server (a hash), else this process only (one process runs every role).
import type { PluginContext, Role } from 'jararaca';
import type { Knex } from 'knex';
import type { Buckets } from './counters.ts';

/** What the websocket plugin provides (capability WS_CONNECTIONS_CAPABILITY): this process's connections. */
export type WsConnectionsSnapshot = () => { endpoints: Record<string, number>; rooms: Record<string, number> };
export const WS_CONNECTIONS_CAPABILITY = 'websocket.connections';

export interface Heartbeat {
  replica: string;
  roles: Role[];
  version: string;
  pid: number;
  startedAt: number;
  seenAt: number;
  ready: boolean;
  detail?: string;
  /** Per execution kind: ok, failed, ms (handling time summed). */
  executions: Record<string, Buckets>;
  /** Per message handler: received, acked, retried, deadLettered, requeued; and now in flight. */
  deliveries: Record<string, { queue: string; inFlight: number; buckets: Buckets }>;
  /** Per knex-session connection: the relay's last pass. */
  outbox: Record<string, { pending: number; lagMs: number; at: number }>;
  websocket?: ReturnType<WsConnectionsSnapshot>;
}


export interface HeartbeatStore {
  readonly kind: string;
  beat(heartbeat: Heartbeat): Promise<void>;
  /** Heartbeats written since `since` (ms), any replica. */
  recent(since: number): Promise<Heartbeat[]>;
  close(): Promise<void>;
}

/** What the redis plugin provides (capability REDIS_CAPABILITY): where its server is. */
export interface RedisInfo {
  url: string;
  prefix: string;
}
export const REDIS_CAPABILITY = 'redis';

const TABLE = 'jararaca_console_processes';
// Rows of processes gone this long are deleted by the next beat.
const FORGET_MS = 24 * 60 * 60 * 1000;

class KnexHeartbeats implements HeartbeatStore {
  readonly kind = 'database';
  #ready: Promise<void> | undefined;
  #lastCleanup = 0;
  constructor(
    private readonly knex: Knex,
    private readonly service: string,
  ) {}

  #table(): Promise<void> {
    this.#ready ??= (async () => {
      if (await this.knex.schema.hasTable(TABLE)) return;
      await this.knex.schema
        .createTable(TABLE, (t) => {
          t.string('service', 200).notNullable();
          t.string('replica', 200).notNullable();
          t.bigInteger('seen_at').notNullable();
          t.text('beat').notNullable();
          t.primary(['service', 'replica']);
        })
        // Another replica created it meanwhile.
        .catch(async (err: unknown) => {
          if (!(await this.knex.schema.hasTable(TABLE))) throw err;
        });
    })().catch((err: unknown) => {
      this.#ready = undefined;
      throw err;
    });
    return this.#ready;
  }

  async beat(heartbeat: Heartbeat): Promise<void> {
    await this.#table();
    await this.knex(TABLE).insert({ service: this.service, replica: heartbeat.replica, seen_at: heartbeat.seenAt, beat: JSON.stringify(heartbeat) }).onConflict(['service', 'replica']).merge();
    if (heartbeat.seenAt - this.#lastCleanup > 60_000) {
      this.#lastCleanup = heartbeat.seenAt;
      await this.knex(TABLE).where('service', this.service).andWhere('seen_at', '<', heartbeat.seenAt - FORGET_MS).del();
    }
  }

  async recent(since: number): Promise<Heartbeat[]> {
    await this.#table();
    const rows = await this.knex(TABLE).where('service', this.service).andWhere('seen_at', '>=', since);
    return rows.map((r) => JSON.parse(String(r.beat)) as Heartbeat);
  }

  async close(): Promise<void> {}
}

class RedisHeartbeats implements HeartbeatStore {
  readonly kind = 'redis';
  readonly #key: string;
  #client: Promise<import('ioredis').Redis> | undefined;
  constructor(
    private readonly info: RedisInfo,
    service: string,
  ) {
    this.#key = `${info.prefix}${service}:console:processes`;
  }

  #redis() {
    this.#client ??= import('ioredis').then(({ Redis }) => new Redis(this.info.url, { maxRetriesPerRequest: 1, lazyConnect: false }));
    return this.#client;
  }

  async beat(heartbeat: Heartbeat): Promise<void> {
    const redis = await this.#redis();
    await redis.hset(this.#key, heartbeat.replica, JSON.stringify(heartbeat));
  }

  async recent(since: number): Promise<Heartbeat[]> {
    const redis = await this.#redis();
    const all = Object.entries(await redis.hgetall(this.#key)).map(([replica, json]) => [replica, JSON.parse(json) as Heartbeat] as const);
    const gone = all.filter(([, b]) => b.seenAt < Date.now() - FORGET_MS).map(([r]) => r);
    if (gone.length) await redis.hdel(this.#key, ...gone);
    return all.map(([, b]) => b).filter((b) => b.seenAt >= since);
  }

  async close(): Promise<void> {
    const client = await this.#client?.catch(() => undefined);
    this.#client = undefined;
    await client?.quit().catch(() => client.disconnect());
  }
}

class MemoryHeartbeats implements HeartbeatStore {
  readonly kind = 'process';
  readonly #beats = new Map<string, Heartbeat>();
  async beat(heartbeat: Heartbeat): Promise<void> {
    this.#beats.set(heartbeat.replica, heartbeat);
  }
  async recent(since: number): Promise<Heartbeat[]> {
    return [...this.#beats.values()].filter((b) => b.seenAt >= since);
  }
  async close(): Promise<void> {}
}

/** The store for this service (call from start() or later: capabilities are read then). */
export function heartbeatStore(ctx: Pick<PluginContext<unknown>, 'capability' | 'service'>): HeartbeatStore {
  const knex = ctx.capability<Knex>('knex:default');
  // PGlite and in-memory SQLite are one process's database: beats there reach no other replica,
  // which is still right for the one process using it.
  if (knex) return new KnexHeartbeats(knex, ctx.service.name);
  const redis = ctx.capability<RedisInfo>(REDIS_CAPABILITY);
  if (redis) return new RedisHeartbeats(redis, ctx.service.name);
  return new MemoryHeartbeats();
}
