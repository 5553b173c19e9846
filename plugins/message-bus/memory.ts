// The in-process broker behind `memory://`: the same semantics as the AMQP topology (a topic
// exchange, one queue per handler, prefetch, manual settle, retry with delay, a dead-letter
// queue per handler, delayed publishing) for `--role all` and tests. Messages live in this
// process only: they are gone when it exits. One broker per URL (`memory://a` and `memory://b`
// are separate), shared by every plugin instance in the process.
import type { ConsumerHandle, DeadLetter, DeadLetterAdmin, DeadLetterFilter, Delivery, MessageTransport, OutgoingMessage, QueueSpec, Settlement } from 'jararaca';
import { errorHeader, HEADER, publicHeaders, topicMatcher } from './routing.ts';

interface StoredMessage {
  messageId: string;
  name: string;
  topic: string;
  body: Buffer;
  headers: Record<string, unknown>;
  timestamp: number;
  attempt: number;
  redelivered: boolean;
}

interface Consumer {
  prefetch: number;
  unacked: number;
  active: boolean;
  onDelivery: (delivery: Delivery) => void;
}

class Queue {
  readonly items: StoredMessage[] = [];
  readonly consumers: Consumer[] = [];
  readonly dead: StoredMessage[] = [];
  #next = 0;
  constructor(readonly name: string, readonly broker: MemoryBroker) {}

  push(message: StoredMessage, front = false): void {
    if (front) this.items.unshift(message);
    else this.items.push(message);
    this.dispatch();
  }

  dispatch(): void {
    while (this.items.length) {
      const consumer = this.#pickConsumer();
      if (!consumer) return;
      const message = this.items.shift()!;
      consumer.unacked++;
      const delivery: Delivery = {
        queue: this.name,
        body: message.body,
        messageId: message.messageId,
        name: message.name,
        contentType: 'application/json',
        topic: message.topic,
        headers: publicHeaders(message.headers),
        attempt: message.attempt,
        redelivered: message.redelivered,
        timestamp: message.timestamp,
      };
      this.broker.pending.set(delivery, { queue: this, consumer, message });
      // Delivered on a later tick, like a network broker: never re-entrant into the publisher.
      setImmediate(() => consumer.onDelivery(delivery));
    }
  }

  #pickConsumer(): Consumer | undefined {
    const n = this.consumers.length;
    for (let i = 0; i < n; i++) {
      const c = this.consumers[(this.#next + i) % n];
      if (c.active && c.unacked < c.prefetch) {
        this.#next = (this.#next + i + 1) % n;
        return c;
      }
    }
    return undefined;
  }
}

export class MemoryBroker {
  readonly queues = new Map<string, Queue>();
  readonly bindings: Array<{ queue: Queue; matches: (topic: string) => boolean; pattern: string }> = [];
  readonly pending = new WeakMap<Delivery, { queue: Queue; consumer: Consumer; message: StoredMessage }>();
  readonly timers = new Set<NodeJS.Timeout>();

  queue(name: string): Queue {
    let q = this.queues.get(name);
    if (!q) this.queues.set(name, (q = new Queue(name, this)));
    return q;
  }

  route(message: StoredMessage): void {
    const targets = new Set(this.bindings.filter((b) => b.matches(message.topic)).map((b) => b.queue));
    for (const q of targets) q.push({ ...message, headers: { ...message.headers } });
  }

  later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    timer.unref();
    this.timers.add(timer);
  }
}

const BROKERS = Symbol.for('jararaca.memoryBrokers');
const registry = globalThis as unknown as Record<symbol, Map<string, MemoryBroker> | undefined>;

export function memoryBroker(url: string): MemoryBroker {
  const brokers = (registry[BROKERS] ??= new Map());
  let broker = brokers.get(url);
  if (!broker) brokers.set(url, (broker = new MemoryBroker()));
  return broker;
}

export class MemoryTransport implements MessageTransport {
  readonly kind = 'memory';
  readonly #broker: MemoryBroker;

  constructor(url: string) {
    this.#broker = memoryBroker(url);
  }

  async start(): Promise<void> {}
  async close(): Promise<void> {}

  health() {
    return { ready: true };
  }

  /** Nothing waits for a consumer, is out for settlement, or sits on a delay (for the test kit's settle()). */
  idle(): boolean {
    if (this.#broker.timers.size) return false;
    for (const q of this.#broker.queues.values()) {
      if (q.consumers.some((c) => c.unacked > 0)) return false;
      if (q.items.length && q.consumers.some((c) => c.active)) return false;
    }
    return true;
  }

  async assertTopology(queues: readonly QueueSpec[]): Promise<void> {
    for (const spec of queues) {
      const q = this.#broker.queue(spec.queue);
      for (const pattern of spec.bindings) {
        if (!this.#broker.bindings.some((b) => b.queue === q && b.pattern === pattern)) this.#broker.bindings.push({ queue: q, pattern, matches: topicMatcher(pattern) });
      }
    }
  }

  async consume(queue: string, prefetch: number, onDelivery: (delivery: Delivery) => void): Promise<ConsumerHandle> {
    const q = this.#broker.queue(queue);
    const consumer: Consumer = { prefetch, unacked: 0, active: true, onDelivery };
    q.consumers.push(consumer);
    q.dispatch();
    return {
      async cancel() {
        consumer.active = false;
        q.consumers.splice(q.consumers.indexOf(consumer), 1);
      },
      async pause() {
        consumer.active = false;
      },
      async resume() {
        if (!q.consumers.includes(consumer)) return; // cancelled
        consumer.active = true;
        q.dispatch();
      },
    };
  }

  async settle(delivery: Delivery, settlement: Settlement): Promise<void> {
    const entry = this.#broker.pending.get(delivery);
    if (!entry) return;
    this.#broker.pending.delete(delivery);
    const { queue, consumer, message } = entry;
    consumer.unacked--;
    switch (settlement.action) {
      case 'ack':
        break;
      case 'requeue':
        queue.push({ ...message, redelivered: true }, true);
        break;
      case 'retry': {
        const next = { ...message, attempt: (settlement.attempt ?? message.attempt) + 1, redelivered: false, headers: { ...message.headers, [HEADER.lastError]: errorHeader(settlement.error) } };
        this.#broker.later(settlement.delayMs, () => queue.push(next));
        break;
      }
      case 'dead-letter':
        queue.dead.push({
          ...message,
          headers: { ...message.headers, [HEADER.error]: errorHeader(settlement.error), [HEADER.attempts]: settlement.attempt ?? message.attempt, [HEADER.routingKey]: message.topic, [HEADER.failedAt]: new Date().toISOString() },
        });
        break;
    }
    queue.dispatch();
  }

  async publish(messages: readonly OutgoingMessage[]): Promise<void> {
    for (const m of messages) {
      const stored: StoredMessage = { messageId: m.messageId, name: m.name, topic: m.topic, body: m.body, headers: { ...m.headers }, timestamp: m.timestamp, attempt: 1, redelivered: false };
      if (m.delayMs && m.delayMs > 0) this.#broker.later(m.delayMs, () => this.#broker.route(stored));
      else this.#broker.route(stored);
    }
  }

  readonly deadLetters: DeadLetterAdmin = {
    list: async (queue, limit) => (this.#broker.queues.get(queue)?.dead ?? []).slice(0, limit).map(describeDeadLetter),
    requeue: async (queue, limit, filter) => {
      const q = this.#broker.queues.get(queue);
      if (!q) return 0;
      const moved = take(q.dead, limit, filter);
      for (const m of moved) q.push({ ...m, attempt: 1, redelivered: false, headers: Object.fromEntries(Object.entries(m.headers).filter(([k]) => !k.startsWith('x-jrr-'))) });
      return moved.length;
    },
    purge: async (queue, limit, filter) => {
      const q = this.#broker.queues.get(queue);
      return q ? take(q.dead, limit ?? q.dead.length, filter).length : 0;
    },
    stats: async (queue) => {
      const q = this.#broker.queues.get(queue);
      return q ? { messages: q.items.length, consumers: q.consumers.length, deadLetters: q.dead.length } : undefined;
    },
  };
}

/** Removes and returns up to `limit` messages of `list` that `filter` chooses (all when none), in order. */
function take(list: StoredMessage[], limit: number, filter?: DeadLetterFilter): StoredMessage[] {
  if (!filter) return list.splice(0, limit);
  const out: StoredMessage[] = [];
  for (let i = 0; i < list.length && out.length < limit; ) {
    if (filter(describeDeadLetter(list[i]))) out.push(...list.splice(i, 1));
    else i++;
  }
  return out;
}

function describeDeadLetter(m: StoredMessage): DeadLetter {
  return {
    messageId: m.messageId,
    name: m.name,
    topic: m.topic,
    error: m.headers[HEADER.error] as string | undefined,
    attempts: m.headers[HEADER.attempts] as number | undefined,
    failedAt: m.headers[HEADER.failedAt] as string | undefined,
    body: m.body.toString('utf8'),
    headers: m.headers,
  };
}
