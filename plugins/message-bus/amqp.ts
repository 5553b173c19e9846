// The AMQP transport (RabbitMQ through amqplib). One connection; a confirm channel for every
// publish (application messages, retries, dead letters); one channel per consumer so each
// handler has its own prefetch. When the connection drops it reconnects with backoff,
// re-asserts the topology and resumes the consumers; deliveries from the old connection are
// not settled (the broker redelivers them), and publishes wait for the reconnection up to
// publishTimeoutMs.
import { randomUUID } from 'node:crypto';
import amqp, { type Channel, type ChannelModel, type ConfirmChannel, type ConsumeMessage, type Options } from 'amqplib';
import { JararacaError, redactUrl, RepeatedLog, type ConsumerHandle, type DeadLetter, type DeadLetterAdmin, type Delivery, type MessageTransport, type OutgoingMessage, type QueueSpec, type Settlement } from 'jararaca';
import { refusedError } from './amqp-refused.ts';
import type { Logger } from 'pino';
import { delayBucket, errorHeader, HEADER, isBookkeeping, publicHeaders } from './routing.ts';

export interface AmqpSettings {
  /** The broker's nodes: connections go to the first that answers, in turn, from the last one used. */
  urls: readonly string[];
  /** classic, or quorum (replicated; their retry and delay queues dead-letter at least once). */
  queueType: 'classic' | 'quorum';
  exchange: string;
  /** How long a publish (or start) waits for a connection and the broker's confirm. */
  publishTimeoutMs: number;
  connectTimeoutMs: number;
  reconnect: { initialDelayMs: number; maxDelayMs: number };
  connectionName: string;
}

interface ConsumerState {
  queue: string;
  prefetch: number;
  onDelivery: (delivery: Delivery) => void;
  channel?: Channel;
  acks?: AckBatcher;
  tag?: string;
  cancelled: boolean;
  /** Paused by the worker (a dependency is down): no consume on this or any later connection until resumed. */
  paused: boolean;
  /** The connection generation it was started on: started once per connection. */
  startedIn?: number;
}

/**
 * The acks of one consumer channel, sent once per event-loop turn rather than one frame (and one
 * socket write) each: the run of finished deliveries at the head of the channel's unsettled ones
 * as one `multiple` ack, each finished one behind a still-running one on its own. Only finished
 * deliveries are ever covered, and none waits for another beyond the turn.
 */
class AckBatcher {
  readonly channel: Channel;
  readonly generation: number;
  // Unsettled deliveries by tag, in delivery order (tags grow): null while running, the message once finished.
  readonly #open = new Map<number, ConsumeMessage | null>();
  #finished = 0;
  #scheduled = false;
  readonly #logger: Logger;

  constructor(channel: Channel, generation: number, logger: Logger) {
    this.channel = channel;
    this.generation = generation;
    this.#logger = logger;
  }

  delivered(message: ConsumeMessage): void {
    this.#open.set(message.fields.deliveryTag, null);
  }

  ack(message: ConsumeMessage): void {
    const tag = message.fields.deliveryTag;
    if (this.#open.get(tag) !== null) return; // not this channel's, or already acked
    this.#open.set(tag, message);
    this.#finished++;
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Requeue or reject: sent at once (an earlier finished one may still be in the next batch). */
  nack(message: ConsumeMessage, requeue: boolean): void {
    const tag = message.fields.deliveryTag;
    if (this.#open.get(tag) === undefined) return;
    if (this.#open.get(tag)) this.#finished--;
    this.#open.delete(tag);
    this.channel.nack(message, false, requeue);
  }

  flush(): void {
    this.#scheduled = false;
    if (!this.#finished) return;
    try {
      let head: ConsumeMessage | undefined;
      for (const [tag, message] of this.#open) {
        if (!message) break;
        head = message;
        this.#open.delete(tag);
        this.#finished--;
      }
      if (head) this.channel.ack(head, true);
      if (this.#finished) {
        for (const [tag, message] of this.#open) {
          if (!message) continue;
          this.#open.delete(tag);
          this.#finished--;
          this.channel.ack(message);
        }
      }
    } catch (err) {
      // The channel closed in between: the broker redelivers what was not acked.
      this.#open.clear();
      this.#finished = 0;
      this.#logger.debug({ err }, 'could not ack on a closed channel: the broker redelivers those messages');
    }
  }
}

/** A delivery as the worker sees it, with where to settle it (private to the transport). */
class AmqpDelivery implements Delivery {
  readonly queue: string;
  readonly body: Buffer;
  readonly messageId: string | undefined;
  readonly name: string | undefined;
  readonly contentType: string | undefined;
  readonly topic: string;
  readonly headers: Readonly<Record<string, unknown>>;
  readonly attempt: number;
  readonly redelivered: boolean;
  readonly timestamp: number | undefined;
  #message: ConsumeMessage | undefined;
  readonly #acks: AckBatcher;

  constructor(queue: string, message: ConsumeMessage, acks: AckBatcher) {
    const props = message.properties;
    const headers = props.headers as Record<string, unknown> | undefined;
    const routingKey = headers?.[HEADER.routingKey];
    this.queue = queue;
    this.body = message.content;
    this.messageId = props.messageId as string | undefined;
    this.name = props.type as string | undefined;
    this.contentType = props.contentType as string | undefined;
    this.topic = typeof routingKey === 'string' ? routingKey : message.fields.routingKey;
    this.headers = publicHeaders(headers);
    this.attempt = Math.max(1, Number(headers?.[HEADER.attempt] ?? 1) || 1);
    this.redelivered = message.fields.redelivered;
    this.timestamp = typeof props.timestamp === 'number' ? props.timestamp * 1000 : undefined;
    this.#message = message;
    this.#acks = acks;
  }

  /** The message and its channel, once: a second settle finds nothing. */
  static take(delivery: Delivery): { message: ConsumeMessage; acks: AckBatcher } | undefined {
    if (!(delivery instanceof AmqpDelivery) || !delivery.#message) return undefined;
    const message = delivery.#message;
    delivery.#message = undefined;
    return { message, acks: delivery.#acks };
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const SETTLED = Promise.resolve();

export class AmqpTransport implements MessageTransport {
  readonly kind = 'amqp';
  readonly #s: AmqpSettings;
  readonly #logger: Logger;
  #conn: ChannelModel | undefined;
  #pub: ConfirmChannel | undefined;
  #generation = 0;
  #closing = false;
  #reconnecting = false;
  // A broker down for an hour is a few lines, not one per attempt.
  readonly #repeated: RepeatedLog;
  #waiters = new Set<() => void>();
  readonly #topology = new Map<string, QueueSpec>();
  readonly #consumers = new Set<ConsumerState>();
  // Consumer channels of the current connection, whose pending acks close() sends first.
  #batchers = new Set<AckBatcher>();
  // Delay and retry queues declared on the current connection.
  #declared = new Map<string, Promise<void>>();

  constructor(settings: AmqpSettings, logger: Logger) {
    this.#s = settings;
    this.#logger = logger;
    this.#repeated = new RepeatedLog(logger);
  }

  // The node connected to (or tried next): advances in turn when a connection attempt fails.
  #node = 0;

  get #where(): string {
    return redactUrl(this.#s.urls[this.#node]);
  }

  /** Connects, retrying until connectTimeoutMs; a broker refusing the topology fails at once. */
  async start(): Promise<void> {
    const deadline = Date.now() + this.#s.connectTimeoutMs;
    let delay = this.#s.reconnect.initialDelayMs;
    for (;;) {
      // #open() moves on to the next node when this one fails: remember which one was tried.
      const tried = this.#s.urls[this.#node];
      try {
        await this.#open();
        this.#logger.info({ url: this.#where, exchange: this.#s.exchange }, 'connected to the message broker');
        return;
      } catch (err) {
        if (isPrecondition(err)) throw topologyError(err);
        const refused = refusedError(err, tried);
        if (refused) throw refused;
        if (Date.now() + delay > deadline) {
          throw new JararacaError('JRR_BUS_UNREACHABLE', `cannot connect to the message broker at ${this.#where} within connectTimeoutMs ${this.#s.connectTimeoutMs}: ${(err as Error).message}`, { cause: err });
        }
        this.#repeated.warn('amqp.connect-retry', { err, delayMs: delay }, 'message broker not reachable yet; retrying');
        await sleep(delay);
        delay = Math.min(this.#s.reconnect.maxDelayMs, delay * 2);
      }
    }
  }

  async close(): Promise<void> {
    this.#closing = true;
    for (const wake of this.#waiters) wake();
    for (const acks of this.#batchers) acks.flush();
    const conn = this.#conn;
    this.#conn = undefined;
    this.#pub = undefined;
    // Unsettled deliveries go back to their queues when the connection closes.
    await conn?.close().catch(() => undefined);
  }

  health() {
    return this.#pub ? { ready: true } : { ready: false, detail: `message broker at ${this.#where} disconnected; reconnecting` };
  }

  async #open(): Promise<void> {
    let conn: ChannelModel;
    try {
      conn = await amqp.connect(this.#s.urls[this.#node], { clientProperties: { connection_name: this.#s.connectionName } });
    } catch (err) {
      // That node does not answer: the next attempt goes to the next one of the list.
      if (this.#s.urls.length > 1) this.#node = (this.#node + 1) % this.#s.urls.length;
      throw err;
    }
    try {
      conn.on('error', (err: Error) => this.#logger.warn({ err }, 'message broker connection error'));
      conn.on('blocked', (reason: string) => this.#logger.warn({ reason }, 'the broker blocked publishing (resource alarm)'));
      conn.on('close', () => this.#lost(conn));
      const pub = await conn.createConfirmChannel();
      pub.on('error', (err: Error) => this.#logger.warn({ err }, 'publish channel error'));
      pub.on('close', () => this.#channelClosed(conn));
      await pub.assertExchange(this.#s.exchange, 'topic', { durable: true });
      await pub.assertExchange(`${this.#s.exchange}.delay`, 'headers', { durable: true });
      for (const spec of this.#topology.values()) await this.#declare(pub, spec);
      this.#generation++;
      this.#declared = new Map();
      this.#batchers = new Set();
      this.#conn = conn;
      this.#pub = pub;
      await Promise.all([...this.#consumers].map((state) => this.#startConsumer(conn, state)));
    } catch (err) {
      if (this.#conn === conn) this.#conn = this.#pub = undefined;
      await conn.close().catch(() => undefined);
      throw err;
    }
    for (const wake of this.#waiters) wake();
  }

  // Any channel closing on its own (a protocol error) restarts the whole connection: simpler
  // and safer than repairing one channel, since deliveries on it can no longer be settled.
  #channelClosed(conn: ChannelModel): void {
    if (this.#conn === conn && !this.#closing) conn.close().catch(() => undefined);
  }

  #lost(conn: ChannelModel): void {
    if (this.#conn !== conn || this.#closing) return;
    this.#conn = this.#pub = undefined;
    this.#logger.warn({ url: this.#where }, 'lost the message broker connection; reconnecting');
    void this.#reconnect();
  }

  async #reconnect(): Promise<void> {
    if (this.#reconnecting) return;
    this.#reconnecting = true;
    let delay = this.#s.reconnect.initialDelayMs;
    try {
      while (!this.#closing && !this.#conn) {
        await sleep(delay * (0.8 + Math.random() * 0.4));
        if (this.#closing) return;
        try {
          await this.#open();
          this.#logger.info({ url: this.#where, consumers: this.#consumers.size }, 'reconnected to the message broker; topology re-asserted, consumers resumed');
        } catch (err) {
          this.#repeated.warn('amqp.reconnect-retry', { err, delayMs: delay }, 'reconnection failed; retrying');
          delay = Math.min(this.#s.reconnect.maxDelayMs, delay * 2);
        }
      }
    } finally {
      this.#reconnecting = false;
    }
  }

  /** The publish channel, waiting for a reconnection until the deadline. */
  async #channel(deadline: number): Promise<ConfirmChannel> {
    while (!this.#pub) {
      if (this.#closing) throw new JararacaError('JRR_BUS_CLOSED', 'the message bus is closed (the process is stopping)');
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new JararacaError('JRR_BUS_UNAVAILABLE', `the message broker at ${this.#where} is unreachable: gave up after publishTimeoutMs ${this.#s.publishTimeoutMs}; nothing was published`);
      }
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.#waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, left);
        this.#waiters.add(wake);
      });
    }
    return this.#pub;
  }

  async #declare(ch: Channel, spec: QueueSpec): Promise<void> {
    await ch.assertQueue(spec.queue, { durable: true, arguments: this.#queueArguments() });
    for (const pattern of spec.bindings) await ch.bindQueue(spec.queue, this.#s.exchange, pattern);
    await ch.assertQueue(`${spec.queue}.dlq`, { durable: true, arguments: this.#queueArguments() });
    for (const ms of new Set(spec.retryDelaysMs.map(delayBucket))) await this.#declareRetryQueue(ch, spec.queue, ms);
  }

  // Quorum queues that expire into another (retry and delay buckets) dead-letter at least once:
  // a message leaves only once the target confirmed it, which needs reject-publish overflow.
  #queueArguments(deadLetters = false): Record<string, unknown> | undefined {
    if (this.#s.queueType !== 'quorum') return undefined;
    return deadLetters ? { 'x-queue-type': 'quorum', 'x-dead-letter-strategy': 'at-least-once', 'x-overflow': 'reject-publish' } : { 'x-queue-type': 'quorum' };
  }

  #declareRetryQueue(ch: Channel, queue: string, bucket: number): Promise<unknown> {
    return ch.assertQueue(`${queue}.retry.${bucket}`, {
      durable: true,
      arguments: { ...this.#queueArguments(true), 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': queue, 'x-message-ttl': bucket },
    });
  }

  #once(ch: ConfirmChannel, key: string, declare: () => Promise<unknown>): Promise<void> {
    let p = this.#declared.get(key);
    if (!p) {
      p = declare().then(() => undefined);
      p.catch(() => this.#declared.delete(key));
      this.#declared.set(key, p);
    }
    return p;
  }

  async assertTopology(queues: readonly QueueSpec[]): Promise<void> {
    for (const spec of queues) this.#topology.set(spec.queue, spec);
    const pub = this.#pub;
    if (!pub) return; // declared on (re)connection
    try {
      for (const spec of queues) await this.#declare(pub, spec);
    } catch (err) {
      throw isPrecondition(err) ? topologyError(err) : err;
    }
  }

  async consume(queue: string, prefetch: number, onDelivery: (delivery: Delivery) => void): Promise<ConsumerHandle> {
    const state: ConsumerState = { queue, prefetch, onDelivery, cancelled: false, paused: false };
    this.#consumers.add(state);
    if (this.#conn) await this.#startConsumer(this.#conn, state);
    return {
      cancel: async () => {
        state.cancelled = true;
        this.#consumers.delete(state);
        // The channel stays open so deliveries in flight can still be acked; it closes with the connection.
        if (state.channel && state.tag) await state.channel.cancel(state.tag).catch(() => undefined);
      },
      pause: async () => {
        if (state.paused || state.cancelled) return;
        state.paused = true;
        // The channel stays: deliveries already handed over are settled on it.
        const { channel, tag } = state;
        state.tag = undefined;
        if (channel && tag) await channel.cancel(tag).catch(() => undefined);
      },
      resume: async () => {
        if (!state.paused || state.cancelled) return;
        state.paused = false;
        // On the channel of the current connection; a reconnect in between consumes by itself.
        if (this.#conn && state.startedIn === this.#generation && state.channel && !state.tag) await this.#consumeOn(this.#conn, state, state.channel, state.acks!);
      },
    };
  }

  async #startConsumer(conn: ChannelModel, state: ConsumerState): Promise<void> {
    const generation = this.#generation;
    // consume() and a reconnect can both reach a new consumer on the same connection: once only,
    // or cancel() would stop one channel and leave the other consuming.
    if (state.startedIn === generation) return;
    state.startedIn = generation;
    const channel = await conn.createChannel();
    channel.on('error', (err: Error) => this.#logger.warn({ err, queue: state.queue }, 'consumer channel error'));
    channel.on('close', () => this.#channelClosed(conn));
    await channel.prefetch(state.prefetch);
    state.channel = channel;
    state.tag = undefined;
    const acks = new AckBatcher(channel, generation, this.#logger);
    state.acks = acks;
    if (generation === this.#generation) this.#batchers.add(acks);
    if (!state.paused) await this.#consumeOn(conn, state, channel, acks);
  }

  async #consumeOn(conn: ChannelModel, state: ConsumerState, channel: Channel, acks: AckBatcher): Promise<void> {
    const { consumerTag } = await channel.consume(
      state.queue,
      (message) => {
        if (!message) {
          // The broker cancelled the consumer (its queue was deleted, or failed over). Nothing
          // else would restart it: reconnect, which re-declares the topology and consumes again.
          this.#logger.warn({ queue: state.queue }, 'the broker cancelled the consumer; reconnecting to declare the queue and consume again');
          this.#channelClosed(conn);
          return;
        }
        acks.delivered(message);
        state.onDelivery(new AmqpDelivery(state.queue, message, acks));
      },
      { noAck: false },
    );
    state.tag = consumerTag;
  }

  // Not async: an ack or a requeue is queued or sent at once, and a delivery's settlement should
  // not cost the promises of an async function; only a retry or dead-letter copy waits.
  settle(delivery: Delivery, settlement: Settlement): Promise<void> {
    const raw = AmqpDelivery.take(delivery);
    if (!raw) return SETTLED;
    const { acks, message } = raw;
    if (acks.generation !== this.#generation || !this.#conn) {
      this.#logger.debug({ messageId: delivery.messageId }, 'delivery from a closed connection: the broker redelivers it');
      return SETTLED;
    }
    if (settlement.action === 'ack') {
      acks.ack(message);
      return SETTLED;
    }
    if (settlement.action === 'requeue') {
      acks.nack(message, true);
      return SETTLED;
    }
    return this.#settleWithCopy(delivery, settlement, message, acks);
  }

  async #settleWithCopy(delivery: Delivery, settlement: Settlement & { action: 'retry' | 'dead-letter' }, message: ConsumeMessage, acks: AckBatcher): Promise<void> {
    const headers: Record<string, unknown> = {};
    for (const [k, v] of Object.entries((message.properties.headers ?? {}) as Record<string, unknown>)) if (!k.startsWith('x-death') && !k.includes('-death-')) headers[k] = v;
    headers[HEADER.routingKey] = delivery.topic;
    const props: Options.Publish = {
      persistent: true,
      contentType: message.properties.contentType as string | undefined,
      messageId: (message.properties.messageId as string | undefined) ?? randomUUID(),
      type: message.properties.type as string | undefined,
      timestamp: message.properties.timestamp as number | undefined,
      correlationId: message.properties.correlationId as string | undefined,
      headers,
    };
    try {
      const published = await this.#republish(delivery, settlement, message, headers, props, acks.generation);
      // The connection dropped while waiting for a channel: the broker redelivers the original
      // from the closed one, so publishing a copy as well would handle it twice.
      if (!published) return;
    } catch (err) {
      // Its copy was not confirmed: hand the message back to its queue rather than leave it
      // unacked on a live channel, where it would hold a prefetch slot for good.
      if (acks.generation === this.#generation) acks.nack(message, true);
      throw err;
    }
    // Removed from the queue only once its copy is confirmed; a drop in between redelivers it (at least once).
    if (acks.generation === this.#generation) acks.ack(message);
  }

  /** Publishes the retry or dead-letter copy of a delivery, confirmed. */
  /** Publishes the copy, confirmed; false (nothing sent) when the delivery's connection is gone. */
  async #republish(
    delivery: Delivery,
    settlement: Settlement & { action: 'retry' | 'dead-letter' },
    message: ConsumeMessage,
    headers: Record<string, unknown>,
    props: Options.Publish,
    generation: number,
  ): Promise<boolean> {
    const deadline = Date.now() + this.#s.publishTimeoutMs;
    const pub = await this.#channel(deadline);
    if (generation !== this.#generation) return false;
    if (settlement.action === 'retry') {
      const bucket = delayBucket(settlement.delayMs);
      const queue = `${delivery.queue}.retry.${bucket}`;
      await this.#once(pub, queue, () => this.#declareRetryQueue(pub, delivery.queue, bucket));
      headers[HEADER.attempt] = (settlement.attempt ?? delivery.attempt) + 1;
      headers[HEADER.lastError] = errorHeader(settlement.error);
      await confirm(pub, '', queue, message.content, { ...props, expiration: String(Math.max(1, settlement.delayMs)) });
    } else {
      headers[HEADER.error] = errorHeader(settlement.error);
      headers[HEADER.attempts] = settlement.attempt ?? delivery.attempt;
      headers[HEADER.failedAt] = new Date().toISOString();
      await confirm(pub, '', `${delivery.queue}.dlq`, message.content, props);
    }
    return true;
  }

  publish(messages: readonly OutgoingMessage[]): Promise<void> {
    if (!messages.length) return Promise.resolve();
    const deadline = Date.now() + this.#s.publishTimeoutMs;
    const pub = this.#pub;
    // The common case (connected, one message, not delayed): sent at once, one promise for its
    // confirm, without the waiting loop's async hops; a failure goes on in that loop.
    if (pub && messages.length === 1 && !(messages[0].delayMs && messages[0].delayMs > 0)) {
      const m = messages[0];
      try {
        const sent = sendConfirmed(pub, this.#s.exchange, m.topic, m.body, publishProps(m));
        const confirmed = sent.accepted ? sent.confirmed : drained(pub).then(() => sent.confirmed);
        return confirmed.catch((err: unknown) => this.#retryPublish(messages, deadline, err));
      } catch (err) {
        // amqplib throws at once on a channel that just closed.
        return this.#retryPublish(messages, deadline, err);
      }
    }
    return this.#publishLoop(messages, deadline);
  }

  async #publishLoop(messages: readonly OutgoingMessage[], deadline: number): Promise<void> {
    for (;;) {
      const pub = await this.#channel(deadline);
      try {
        await Promise.all(await this.#send(pub, messages));
        return;
      } catch (err) {
        await this.#beforeRetry(messages, deadline, err);
      }
    }
  }

  async #retryPublish(messages: readonly OutgoingMessage[], deadline: number, err: unknown): Promise<void> {
    await this.#beforeRetry(messages, deadline, err);
    return this.#publishLoop(messages, deadline);
  }

  // The connection dropped before the confirms: publish again once reconnected (same
  // messageIds, so a consumer can deduplicate the rare double), until the deadline.
  async #beforeRetry(messages: readonly OutgoingMessage[], deadline: number, err: unknown): Promise<void> {
    if (Date.now() >= deadline) {
      throw new JararacaError('JRR_BUS_UNAVAILABLE', `the message broker at ${this.#where} did not confirm ${messages.length} message(s) within publishTimeoutMs ${this.#s.publishTimeoutMs}: ${(err as Error).message}`, { cause: err });
    }
    this.#logger.warn({ err }, 'publish not confirmed; retrying after the reconnection');
    await sleep(100);
  }

  async #send(pub: ConfirmChannel, messages: readonly OutgoingMessage[]): Promise<Array<Promise<void>>> {
    const confirms: Array<Promise<void>> = [];
    for (const m of messages) {
      const props = publishProps(m);
      let exchange = this.#s.exchange;
      if (m.delayMs && m.delayMs > 0) {
        const bucket = delayBucket(m.delayMs);
        const queue = `${this.#s.exchange}.delay.${bucket}`;
        await this.#once(pub, queue, async () => {
          await pub.assertQueue(queue, { durable: true, arguments: { ...this.#queueArguments(true), 'x-dead-letter-exchange': this.#s.exchange, 'x-message-ttl': bucket } });
          await pub.bindQueue(queue, `${this.#s.exchange}.delay`, '', { 'x-match': 'all', [HEADER.delay]: String(bucket) });
        });
        exchange = `${this.#s.exchange}.delay`;
        props.headers![HEADER.delay] = String(bucket);
        props.expiration = String(Math.round(m.delayMs));
      }
      const sent = sendConfirmed(pub, exchange, m.topic, m.body, props);
      sent.confirmed.catch(() => undefined);
      confirms.push(sent.confirmed);
      if (!sent.accepted) await drained(pub); // back-pressure: the channel's buffer is full
    }
    return confirms;
  }

  readonly deadLetters: DeadLetterAdmin = {
    list: async (queue, limit) => {
      const ch = await this.#adminChannel();
      const out: DeadLetter[] = [];
      try {
        for (let i = 0; i < limit; i++) {
          const m = await ch.get(`${queue}.dlq`, { noAck: false });
          if (!m) break;
          out.push(describe(m));
        }
      } finally {
        await ch.close().catch(() => undefined); // unacked: they stay in the dead-letter queue
      }
      return out;
    },
    requeue: async (queue, limit, filter) => {
      const ch = await this.#adminChannel();
      let moved = 0;
      try {
        // Only what is there now: a requeued message that fails again comes back behind these,
        // and must not be moved a second time by this run.
        const present = (await ch.checkQueue(`${queue}.dlq`)).messageCount;
        for (let seen = 0; seen < present && moved < limit; seen++) {
          const m = await ch.get(`${queue}.dlq`, { noAck: false });
          if (!m) break;
          // Not chosen: left unacknowledged, it goes back to the dead-letter queue when the channel closes.
          if (filter && !filter(describe(m))) continue;
          const headers: Record<string, unknown> = {};
          for (const [k, v] of Object.entries((m.properties.headers ?? {}) as Record<string, unknown>)) if (!isBookkeeping(k) || k === HEADER.routingKey) headers[k] = v;
          // Straight to the handler's own queue (not through the exchange: it reaches exactly that handler),
          // confirmed before the dead letter is removed.
          await confirm(ch, '', queue, m.content, {
            persistent: true,
            contentType: m.properties.contentType as string | undefined,
            messageId: m.properties.messageId as string | undefined,
            type: m.properties.type as string | undefined,
            timestamp: m.properties.timestamp as number | undefined,
            headers,
          });
          ch.ack(m);
          moved++;
        }
      } finally {
        await ch.close().catch(() => undefined);
      }
      return moved;
    },
    purge: async (queue, limit, filter) => {
      const ch = await this.#adminChannel();
      try {
        if (limit === undefined && !filter) return (await ch.purgeQueue(`${queue}.dlq`)).messageCount;
        const present = (await ch.checkQueue(`${queue}.dlq`)).messageCount;
        let n = 0;
        for (let seen = 0; seen < present && n < (limit ?? Infinity); seen++) {
          const m = await ch.get(`${queue}.dlq`, { noAck: false });
          if (!m) break;
          if (filter && !filter(describe(m))) continue;
          ch.ack(m);
          n++;
        }
        return n;
      } finally {
        await ch.close().catch(() => undefined);
      }
    },
    stats: async (queue) => {
      const ch = await this.#adminChannel();
      try {
        const main = await ch.checkQueue(queue);
        const dlq = await ch.checkQueue(`${queue}.dlq`);
        return { messages: main.messageCount, consumers: main.consumerCount, deadLetters: dlq.messageCount };
      } catch (err) {
        if ((err as { code?: number })?.code === 404) return undefined; // not declared yet (no worker ran)
        throw err;
      } finally {
        await ch.close().catch(() => undefined);
      }
    },
  };

  async #adminChannel(): Promise<ConfirmChannel> {
    await this.#channel(Date.now() + this.#s.publishTimeoutMs);
    const ch = await this.#conn!.createConfirmChannel();
    ch.on('error', (err: Error) => this.#logger.warn({ err }, 'dead-letter channel error'));
    return ch;
  }
}

function publishProps(m: OutgoingMessage): Options.Publish {
  return { persistent: true, contentType: 'application/json', messageId: m.messageId, type: m.name, timestamp: Math.floor(m.timestamp / 1000), headers: { ...m.headers } };
}

function sendConfirmed(ch: ConfirmChannel, exchange: string, routingKey: string, body: Buffer, props: Options.Publish): { accepted: boolean; confirmed: Promise<void> } {
  let accepted = true;
  const confirmed = new Promise<void>((resolve, reject) => {
    accepted = ch.publish(exchange, routingKey, body, props, (err: unknown) => (err ? reject(err instanceof Error ? err : new Error('the broker refused (nack) the message')) : resolve()));
  });
  return { accepted, confirmed };
}

async function confirm(ch: ConfirmChannel, exchange: string, routingKey: string, body: Buffer, props: Options.Publish): Promise<void> {
  const sent = sendConfirmed(ch, exchange, routingKey, body, props);
  if (!sent.accepted) await drained(ch);
  await sent.confirmed;
}

function drained(ch: Channel): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      ch.off('drain', done);
      ch.off('close', done);
      resolve();
    };
    ch.on('drain', done);
    ch.on('close', done);
  });
}

function describe(m: ConsumeMessage | { content: Buffer; properties: ConsumeMessage['properties']; fields: { routingKey: string } }): DeadLetter {
  const h = (m.properties.headers ?? {}) as Record<string, unknown>;
  return {
    messageId: m.properties.messageId as string | undefined,
    name: m.properties.type as string | undefined,
    topic: (h[HEADER.routingKey] as string | undefined) ?? m.fields.routingKey,
    error: h[HEADER.error] as string | undefined,
    attempts: typeof h[HEADER.attempts] === 'number' ? (h[HEADER.attempts] as number) : undefined,
    failedAt: h[HEADER.failedAt] as string | undefined,
    body: m.content.toString('utf8'),
    headers: h,
  };
}

function isPrecondition(err: unknown): boolean {
  return (err as { code?: number })?.code === 406;
}

function topologyError(err: unknown): JararacaError {
  return new JararacaError(
    'JRR_BUS_TOPOLOGY',
    `the broker refused the topology: ${(err as Error).message}. A queue or exchange of that name exists with other settings: delete it (rabbitmqctl delete_queue NAME) or change the exchange option`,
    { cause: err },
  );
}
