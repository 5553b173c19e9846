// The outbox relay: in every process whose message bus has the outbox on, sends the rows
// executions committed, with publisher confirms, then marks them sent. Woken right after a local
// commit (nudge), and every pollMs for rows of other processes (one that died) and delayed rows
// that came due; backs off while the broker or the database is away; prunes sent rows.
import { randomUUID } from 'node:crypto';
import { eventChannel, JararacaError, type MessageTransport } from 'jararaca';
import type { Knex } from 'jararaca/knex-session';
import type { Logger } from 'pino';
import type { OutboxStats, OutboxStore } from './outbox-store.ts';
import { tracedPublish } from './publish-trace.ts';

export interface RelaySettings {
  /** For the publish channel's events. */
  exchange: string;
  pollMs: number;
  batchSize: number;
  leaseMs: number;
  retentionMs: number;
  /** The knex-session connection the outbox is on, for the outbox channel's events. */
  connection?: string;
}

// Pending count and lag after each stats refresh, for metrics (jararaca:message-bus:outbox).
const outboxEvents = eventChannel('jararaca:message-bus:outbox');

const STATS_EVERY_MS = 2000;
const MAX_BACKOFF_MS = 5000;

export class OutboxRelay {
  readonly #owner = `${process.pid}:${randomUUID().slice(0, 8)}`;
  readonly #store: OutboxStore;
  readonly #knex: () => Knex;
  readonly #transport: MessageTransport;
  readonly #logger: Logger;
  readonly #s: RelaySettings;
  #stopped = false;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #nudged = false;
  #passing = false;
  #backoffMs = 0;
  #failing: string | undefined;
  #sent = 0;
  #stats: OutboxStats = { pending: 0, lagMs: 0 };
  #statsAt = 0;
  #prunedAt = Date.now();

  constructor(store: OutboxStore, knex: () => Knex, transport: MessageTransport, logger: Logger, settings: RelaySettings) {
    this.#store = store;
    this.#knex = knex;
    this.#transport = transport;
    this.#logger = logger.child({ component: 'outbox-relay' });
    this.#s = settings;
  }

  /** Committed rows this process was told of and has not sent yet (for settle() in tests). */
  get pendingWork(): string | undefined {
    return this.#nudged || this.#passing ? 'the outbox relay has committed messages to send' : undefined;
  }

  get stats(): OutboxStats & { sent: number; failing?: string } {
    return { ...this.#stats, sent: this.#sent, failing: this.#failing };
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  /** Rows were just committed here: send them now rather than at the next poll (not while backing off). */
  nudge(): void {
    this.#nudged = true;
    if (!this.#backoffMs) this.#wake?.();
  }

  /** Stops the loop after its current pass, then one last pass (bounded) for what is left here. */
  async stop(lastPassMs: number): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    await this.#loop;
    if (!this.#transport.health().ready) return;
    const deadline = Date.now() + lastPassMs;
    try {
      while (Date.now() < deadline && (await this.#pass()) > 0);
    } catch (err) {
      this.#logger.warn({ err }, 'outbox: last pass at shutdown failed; another process (or the next start) sends what is left');
    }
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      let full = false;
      try {
        const broker = this.#transport.health();
        if (!broker.ready) throw new JararacaError('JRR_BUS_UNAVAILABLE', broker.detail ?? 'the message broker is not connected');
        this.#nudged = false;
        this.#passing = true;
        try {
          full = (await this.#pass()) >= this.#s.batchSize;
        } finally {
          this.#passing = false;
        }
        if (this.#failing) this.#logger.info({ pending: this.#stats.pending }, `outbox: sending again (${this.#failing} is over)`);
        this.#failing = undefined;
        this.#backoffMs = 0;
      } catch (err) {
        const reason = (err as Error)?.message ?? String(err);
        this.#backoffMs = Math.min(MAX_BACKOFF_MS, this.#backoffMs ? this.#backoffMs * 2 : 250);
        if (!this.#failing) this.#logger.warn({ err, retryInMs: this.#backoffMs }, 'outbox: cannot send now; the messages stay in the outbox and are retried');
        this.#failing = reason;
      }
      // Pending count and lag stay current during a broker outage too (health detail).
      await this.#maintain().catch(() => undefined);
      if (this.#stopped) break;
      if (full && !this.#backoffMs) continue;
      await this.#sleep(this.#backoffMs || (await this.#idleMs()));
    }
  }

  // Until the next poll, or sooner when a delayed row comes due.
  async #idleMs(): Promise<number> {
    if (this.#nudged) return 0;
    try {
      const due = await this.#store.nextDueInMs(this.#knex());
      return due === undefined ? this.#s.pollMs : Math.min(this.#s.pollMs, Math.ceil(due) + 5);
    } catch {
      return this.#s.pollMs;
    }
  }

  #sleep(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      timer.unref();
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = () => {
        this.#wake = undefined;
        done();
      };
    });
  }

  /** One claim-publish-mark round. Returns how many rows it sent. */
  async #pass(): Promise<number> {
    const knex = this.#knex();
    const claimedAt = Date.now();
    const rows = await this.#store.claim(knex, this.#owner, this.#s.batchSize, this.#s.leaseMs);
    if (!rows.length) return 0;
    const ids = rows.map((r) => r.id);
    // A claim that took most of the lease (a stalled process) might overlap another relay's: give it back.
    if (Date.now() - claimedAt > this.#s.leaseMs / 2) {
      await this.#store.release(knex, this.#owner, ids, 'claim took longer than half the lease');
      return 0;
    }
    try {
      // One confirm channel, in row order: the broker keeps the order of one channel's publishes.
      await tracedPublish(this.#transport, rows, this.#s.exchange, 'outbox');
    } catch (err) {
      await this.#store.release(knex, this.#owner, ids, (err as Error)?.message ?? String(err)).catch(() => undefined);
      throw err;
    }
    await this.#store.markSent(knex, this.#owner, ids);
    this.#sent += rows.length;
    return rows.length;
  }

  async #maintain(): Promise<void> {
    const now = Date.now();
    if (now - this.#statsAt >= STATS_EVERY_MS) {
      this.#statsAt = now;
      this.#stats = await this.#store.stats(this.#knex());
      if (outboxEvents.hasSubscribers) outboxEvents.publish({ connection: this.#s.connection ?? 'default', ...this.#stats });
    }
    if (now - this.#prunedAt >= pruneEveryMs(this.#s.retentionMs)) {
      this.#prunedAt = now;
      const pruned = await this.#store.prune(this.#knex(), this.#s.retentionMs);
      if (pruned) this.#logger.debug({ pruned }, 'outbox: pruned sent rows');
    }
  }
}

/** How often sent rows (or inbox records) are pruned: every minute, more often for a short retention. */
export function pruneEveryMs(retentionMs: number): number {
  return Math.min(60_000, Math.max(1000, retentionMs));
}
