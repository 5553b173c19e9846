// The overview and handlers pages' data, from the heartbeats of every replica seen recently
// (summed) and, for the queues, the broker itself.
import { planHandlers, TRANSPORT_CAPABILITY, type HandlerRegistry, type MessageTransport, type PluginContext, type QueueStats } from 'jararaca';
import { BUCKET_MS, series, sumBuckets, totals, WINDOW_MS } from './counters.ts';
import type { Heartbeat, HeartbeatStore } from './heartbeat-store.ts';

// Charts of the overview cover this long; rates are over the last 5 minutes.
const CHART_MS = 15 * 60 * 1000;
const RATE_MS = 5 * 60 * 1000;

type Context = Pick<PluginContext<unknown>, 'service' | 'capability'> & { handlers: HandlerRegistry };

export class Overview {
  constructor(
    private readonly ctx: Context,
    private readonly store: () => HeartbeatStore,
    private readonly intervalMs: number,
  ) {}

  /** Heartbeats of the processes seen within three intervals; stopped ones drop out. */
  async processes(now = Date.now()): Promise<Heartbeat[]> {
    const beats = await this.store().recent(now - Math.max(3 * this.intervalMs, 15_000));
    return beats.sort((a, b) => a.replica.localeCompare(b.replica));
  }

  async overview(now = Date.now()) {
    const beats = await this.processes(now);
    const roles: Record<string, Array<Pick<Heartbeat, 'replica' | 'version' | 'ready' | 'detail' | 'startedAt' | 'seenAt' | 'pid' | 'roles'> & { uptimeMs: number }>> = { http: [], worker: [], scheduler: [] };
    for (const b of beats) {
      const process = { replica: b.replica, roles: b.roles, version: b.version, pid: b.pid, ready: b.ready, detail: b.detail, startedAt: b.startedAt, seenAt: b.seenAt, uptimeMs: now - b.startedAt };
      for (const role of b.roles) (roles[role] ??= []).push(process);
    }
    const kinds = new Set(beats.flatMap((b) => Object.keys(b.executions)));
    const executions = [...kinds].sort().map((kind) => {
      const buckets = sumBuckets(beats.map((b) => b.executions[kind] ?? {}));
      const recent = totals(buckets, now - RATE_MS);
      const done = (recent.ok ?? 0) + (recent.failed ?? 0);
      return {
        kind,
        perMinute: round((done / RATE_MS) * 60_000),
        errorRate: done ? round((recent.failed ?? 0) / done, 4) : 0,
        meanMs: done ? round((recent.ms ?? 0) / done) : null,
        chart: series(buckets, ['ok', 'failed'], now - CHART_MS, now),
      };
    });
    return { service: this.ctx.service.name, store: this.store().kind, bucketMs: BUCKET_MS, roles, executions };
  }

  async handlers(now = Date.now()) {
    const beats = await this.processes(now);
    const transport = this.ctx.capability<MessageTransport>(TRANSPORT_CAPABILITY);
    const plans = planHandlers(this.ctx.service.name, this.ctx.handlers.ofKind('message'));
    const handlers = await Promise.all(
      plans.map(async (plan) => {
        const mine = beats.map((b) => b.deliveries[plan.name]).filter((d) => d !== undefined);
        const buckets = sumBuckets(mine.map((d) => d.buckets));
        const hour = totals(buckets, now - WINDOW_MS);
        const recent = totals(buckets, now - RATE_MS);
        let queue: QueueStats | undefined | null = null;
        let error: string | undefined;
        try {
          queue = transport?.deadLetters?.stats ? ((await transport.deadLetters.stats(plan.queue)) ?? null) : null;
        } catch (err) {
          error = `the broker did not answer: ${(err as Error).message}`;
        }
        return {
          name: plan.name,
          message: plan.message.name,
          topic: plan.bindings.join(', '),
          queue: plan.queue,
          depth: queue?.messages ?? null,
          consumers: queue?.consumers ?? null,
          deadLetterQueue: queue?.deadLetters ?? null,
          inFlight: mine.reduce((n, d) => n + d.inFlight, 0),
          perMinute: round(((recent.acked ?? 0) / RATE_MS) * 60_000),
          lastHour: { received: hour.received ?? 0, acked: hour.acked ?? 0, retried: hour.retried ?? 0, deadLettered: hour.deadLettered ?? 0 },
          chart: series(buckets, ['acked', 'retried', 'deadLettered'], now - WINDOW_MS, now),
          ...(error ? { error } : {}),
        };
      }),
    );
    const outbox = beats.flatMap((b) => Object.entries(b.outbox).map(([connection, o]) => ({ replica: b.replica, connection, ...o })));
    return { transport: transport?.kind ?? null, handlers, outbox };
  }

  /** Endpoints with their connections summed and per replica (http processes), and rooms' sizes. */
  async websocket(now = Date.now()) {
    const beats = await this.processes(now);
    const replicas = beats.filter((b) => b.websocket).map((b) => ({ replica: b.replica, endpoints: b.websocket!.endpoints, rooms: b.websocket!.rooms }));
    const endpoints: Record<string, number> = {};
    const rooms: Record<string, number> = {};
    for (const r of replicas) {
      for (const [path, n] of Object.entries(r.endpoints)) endpoints[path] = (endpoints[path] ?? 0) + n;
      for (const [room, n] of Object.entries(r.rooms)) rooms[room] = (rooms[room] ?? 0) + n;
    }
    return {
      endpoints: Object.entries(endpoints).map(([path, connections]) => ({ path, connections })),
      replicas,
      rooms: Object.entries(rooms).sort((a, b) => b[1] - a[1]).map(([room, size]) => ({ room, size })),
    };
  }
}

function round(n: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
