// Sends across a backend blip: while the backend (Redis) is down, flushed packets wait here, in
// order, up to a bound (messages and age), and are published when it is back — once it has been
// ready for settleMs, so the other processes' subscriptions are back too. Past the bound a packet
// is dropped and counted (JRR_WS_DROPPED), as before there was a buffer. Nothing is kept across
// a restart of this process: it is a buffer for blips, not a durable queue.
import type { Logger } from 'pino';
import type { WsBackend, WsOp, WsPacket } from './backend.ts';

export interface OutageBufferOptions {
  /** Operations (sends, joins, leaves) kept at most; 0 turns the buffer off. */
  maxMessages: number;
  /** Oldest operation kept, in ms; older ones are dropped when the backend returns. */
  maxAgeMs: number;
  /** How long the backend must have been ready before the buffer is flushed. */
  settleMs?: number;
  /** How often a waiting buffer looks at the backend. */
  retryEveryMs?: number;
}

interface Waiting {
  packet: WsPacket;
  at: number;
}

export type SendOutcome = 'sent' | 'buffered' | 'dropped';

export class OutageBuffer {
  readonly #backend: WsBackend;
  readonly #o: Required<OutageBufferOptions>;
  readonly #logger: Logger;
  readonly #queue: Waiting[] = [];
  #ops = 0;
  #timer: NodeJS.Timeout | undefined;
  #flushing = false;
  #readySince: number | undefined;
  /** Operations dropped so far (the bound, their age, or the buffer off). */
  dropped = 0;

  constructor(backend: WsBackend, options: OutageBufferOptions, logger: Logger) {
    this.#backend = backend;
    this.#o = { settleMs: 500, retryEveryMs: 100, ...options };
    this.#logger = logger;
  }

  /** Operations waiting for the backend. */
  get size(): number {
    return this.#ops;
  }

  /** Publishes now when nothing is waiting and the backend takes it; otherwise keeps it in order (or drops it past the bound). */
  async send(packet: WsPacket): Promise<SendOutcome> {
    // Straight to the backend only when nothing waits (order) and it is ready: on a process that
    // receives, ready includes its subscription being back, so a send in the moments after a
    // blip waits for the backend to settle instead of reaching no subscriber.
    if (!this.#queue.length && (this.#backend.health().ready || this.#o.maxMessages === 0)) {
      try {
        await this.#backend.publish(packet);
        return 'sent';
      } catch (err) {
        this.#readySince = undefined;
        if (this.#o.maxMessages === 0) return this.#drop(packet.ops, 'the backend is unavailable', err);
      }
    }
    if (this.#ops + packet.ops.length > this.#o.maxMessages) return this.#drop(packet.ops, `the outage buffer is full (maxMessages ${this.#o.maxMessages})`);
    this.#queue.push({ packet, at: Date.now() });
    this.#ops += packet.ops.length;
    this.#schedule();
    return 'buffered';
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#ops) this.#drop(this.#queue.splice(0).flatMap((w) => w.packet.ops), 'the process is stopping with the backend unavailable');
    this.#ops = 0;
  }

  #schedule(): void {
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      void this.#flush();
    }, this.#o.retryEveryMs);
  }

  async #flush(): Promise<void> {
    if (this.#flushing) return;
    this.#flushing = true;
    try {
      const now = Date.now();
      while (this.#queue.length && now - this.#queue[0].at > this.#o.maxAgeMs) {
        const old = this.#queue.shift()!;
        this.#ops -= old.packet.ops.length;
        this.#drop(old.packet.ops, `kept longer than maxAgeMs ${this.#o.maxAgeMs} while the backend was unavailable`);
      }
      if (!this.#backend.health().ready) {
        this.#readySince = undefined;
        return;
      }
      this.#readySince ??= now;
      if (now - this.#readySince < this.#o.settleMs) return;
      const before = this.#ops;
      while (this.#queue.length) {
        const head = this.#queue[0];
        try {
          await this.#backend.publish(head.packet);
        } catch {
          this.#readySince = undefined;
          return;
        }
        this.#queue.shift();
        this.#ops -= head.packet.ops.length;
      }
      this.#logger.info({ delivered: before }, 'websocket backend is back: buffered messages delivered in order');
    } finally {
      this.#flushing = false;
      if (this.#queue.length) this.#schedule();
    }
  }

  #drop(ops: WsOp[], why: string, err?: unknown): 'dropped' {
    this.dropped += ops.length;
    this.#logger.warn({ err, code: 'JRR_WS_DROPPED', dropped: ops.length, droppedTotal: this.dropped }, `websocket messages dropped: ${why}`);
    return 'dropped';
  }
}
