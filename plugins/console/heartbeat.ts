// Each process's heartbeat: who it is (replica id, roles, version, since when, ready) and what it
// counted lately (executions per kind from the console's own intercept; deliveries per handler
// and the outbox from the diagnostics channels; its WebSocket connections), written to the
// heartbeat store every few seconds. Runs in every role, so workers and schedulers appear too.
import { readFileSync } from 'node:fs';
import { eventChannel, replicaId, TRANSPORT_CAPABILITY, type DeliveryEvent, type Execution, type MessageTransport, type Next, type OutboxEvent, type PluginContext } from 'jararaca';
import { Counters } from './counters.ts';
import { WS_CONNECTIONS_CAPABILITY, type Heartbeat, type HeartbeatStore, type WsConnectionsSnapshot } from './heartbeat-store.ts';

const OUTCOME_FIELD: Record<DeliveryEvent['outcome'], string> = { received: 'received', acked: 'acked', retried: 'retried', 'dead-lettered': 'deadLettered', requeued: 'requeued' };

type Context = Pick<PluginContext<unknown>, 'roles' | 'service' | 'capability' | 'logger' | 'resolvePath'>;

export class Reporter {
  readonly #ctx: Context;
  readonly #executions = new Counters();
  readonly #deliveries = new Counters();
  readonly #queues = new Map<string, string>();
  readonly #inFlight = new Map<string, number>();
  readonly #outbox: Heartbeat['outbox'] = {};
  readonly #startedAt = Date.now();
  readonly #version: string;
  #timer: NodeJS.Timeout | undefined;
  #store: HeartbeatStore | undefined;
  #stopping = false;
  #failedOnce = false;

  constructor(ctx: Context, readonly intervalMs: number) {
    this.#ctx = ctx;
    this.#version = serviceVersion(ctx);
  }

  readonly #onDelivery = (e: DeliveryEvent) => {
    this.#queues.set(e.handler, e.queue);
    this.#deliveries.add(e.handler, { [OUTCOME_FIELD[e.outcome]]: 1 });
    this.#inFlight.set(e.handler, (this.#inFlight.get(e.handler) ?? 0) + (e.outcome === 'received' ? 1 : -1));
  };

  readonly #onOutbox = (e: OutboxEvent) => {
    this.#outbox[e.connection] = { pending: e.pending, lagMs: e.lagMs, at: Date.now() };
  };

  /** The console's intercept: counts every execution of this process by kind and outcome. */
  async intercept(execution: Execution, next: Next): Promise<unknown> {
    const t0 = performance.now();
    try {
      const result = await next();
      this.#executions.add(execution.kind, { ok: 1, ms: performance.now() - t0 });
      return result;
    } catch (err) {
      this.#executions.add(execution.kind, { failed: 1, ms: performance.now() - t0 });
      throw err;
    }
  }

  start(store: HeartbeatStore): void {
    this.#store = store;
    eventChannel('jararaca:message-bus:delivery').subscribe(this.#onDelivery);
    eventChannel('jararaca:message-bus:outbox').subscribe(this.#onOutbox);
    const tick = () => {
      void this.beat().finally(() => {
        if (!this.#stopping) this.#timer = setTimeout(tick, this.intervalMs).unref();
      });
    };
    tick();
  }

  heartbeat(now = Date.now()): Heartbeat {
    const transport = this.#ctx.capability<MessageTransport>(TRANSPORT_CAPABILITY);
    const health = transport?.health();
    const deliveries: Heartbeat['deliveries'] = {};
    for (const [handler, buckets] of Object.entries(this.#deliveries.snapshot(now))) {
      deliveries[handler] = { queue: this.#queues.get(handler) ?? '', inFlight: Math.max(0, this.#inFlight.get(handler) ?? 0), buckets };
    }
    const ws = this.#ctx.capability<WsConnectionsSnapshot>(WS_CONNECTIONS_CAPABILITY);
    return {
      replica: replicaId(),
      roles: [...this.#ctx.roles],
      version: this.#version,
      pid: process.pid,
      startedAt: this.#startedAt,
      seenAt: now,
      // Started (the console starts before the roles take work) and not stopping; a broker that is away says so.
      ready: !this.#stopping && (health?.ready ?? true),
      ...(health && !health.ready && health.detail ? { detail: health.detail } : {}),
      executions: this.#executions.snapshot(now),
      deliveries,
      outbox: { ...this.#outbox },
      ...(ws ? { websocket: ws() } : {}),
    };
  }

  async beat(): Promise<void> {
    try {
      await this.#store?.beat(this.heartbeat());
      this.#failedOnce = false;
    } catch (err) {
      // The database or Redis away: said once, tried again next beat.
      if (!this.#failedOnce) this.#ctx.logger.warn({ err }, `console: heartbeat not written (${this.#store?.kind}): ${(err as Error).message}`);
      this.#failedOnce = true;
    }
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    clearTimeout(this.#timer);
    eventChannel('jararaca:message-bus:delivery').unsubscribe(this.#onDelivery);
    eventChannel('jararaca:message-bus:outbox').unsubscribe(this.#onOutbox);
    // A last beat saying "not ready", so the overview shows it going.
    await this.beat();
  }
}

/** The version of the service's package (package.json next to service.yaml), or JARARACA_SERVICE_VERSION. */
function serviceVersion(ctx: Pick<PluginContext<unknown>, 'resolvePath'>): string {
  if (process.env.JARARACA_SERVICE_VERSION) return process.env.JARARACA_SERVICE_VERSION;
  try {
    const pkg = JSON.parse(readFileSync(ctx.resolvePath('./package.json'), 'utf8')) as { version?: unknown };
    if (typeof pkg.version === 'string') return pkg.version;
  } catch {
    // no package.json there
  }
  return 'unknown';
}
