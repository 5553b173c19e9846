// Built-in `message-bus` plugin: usePublisher() in every role, and the transport the worker
// role consumes ('jararaca.transport'): RabbitMQ for amqp:// and amqps://, an in-process broker
// with the same semantics for memory://. With a knex-session listed after it, publishes go
// through a transactional outbox and handlers through an inbox (docs/message-bus.md).
import { definePlugin, JararacaError, PENDING_WORK_CAPABILITY, redactUrl, TRANSPORT_CAPABILITY, type Execution, type HealthReport, type MessageContext, type Next, type PendingWork } from 'jararaca';
import { busAsyncApi } from './asyncapi.ts';
import { declareCommand } from './declare-command.ts';
import { dlqCommand } from './dlq-command.ts';
import { chooseConnection, innerConnections } from './durability.ts';
import { BusUnavailableError } from './errors.ts';
import { createInboxTable, pruneInbox, recordInbox } from './inbox-store.ts';
import { MemoryTransport } from './memory.ts';
import { OutboxRelay, pruneEveryMs } from './outbox-relay.ts';
import { createOutboxTable, OutboxStore, type StagedMessage } from './outbox-store.ts';
import { createPublisher, usePublisher, withRelativeDelays, type Publisher } from './publisher.ts';
import { tracedPublish } from './publish-trace.ts';
import { MAX_DELAY_MS } from './routing.ts';
import type { SessionMetadata } from 'jararaca/knex-session';

export { usePublisher } from './publisher.ts';
export type { Publisher, PublishOptions } from './publisher.ts';
export { delayBucket, topicMatcher } from './routing.ts';
export { BusUnavailableError } from './errors.ts';

// Through the outbox a delay is a row's due time: no broker bucket limits it.
const OUTBOX_MAX_DELAY_MS = 100 * 366 * 24 * 3600 * 1000;

const connectionOption = { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_-]*$', description: 'The knex-session connection (listed after message-bus). Default: the one named default, else the first.' } as const;

/** outbox / inbox: false, or its settings on a knex-session connection. */
function durabilityOption<const P extends Record<string, unknown>>(description: string, properties: P) {
  return { description, anyOf: [{ const: false }, { type: 'object', additionalProperties: false, properties: { connection: connectionOption, ...properties } }] } as const;
}

const optionsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['url'],
  properties: {
    url: {
      description: 'amqp://user:pass@host:5672/vhost (RabbitMQ), or memory:// (in-process broker; memory://NAME for a separate one). A list of amqp:// URLs (a cluster\'s nodes) is tried in turn on (re)connection.',
      anyOf: [
        { type: 'string', pattern: '^(amqps?|memory)://' },
        { type: 'array', minItems: 1, items: { type: 'string', pattern: '^amqps?://' } },
      ],
    },
    queueType: {
      type: 'string',
      enum: ['classic', 'quorum'],
      default: 'classic',
      description: 'Type of the queues the service declares: quorum for a replicated RabbitMQ cluster (retry and delay queues then dead-letter at least once). An existing queue keeps its type: changing it needs the queues deleted or migrated.',
    },
    exchange: { type: 'string', minLength: 1, default: 'jararaca', description: 'The durable topic exchange every service of the system publishes to.' },
    publishTimeoutMs: { type: 'integer', minimum: 1, default: 10000, description: 'How long a publish waits for a (re)connection and the broker confirm before failing (the execution, without the outbox; the relay retries).' },
    connectTimeoutMs: { type: 'integer', minimum: 0, default: 15000, description: 'How long start-up waits for the broker.' },
    reconnect: {
      type: 'object',
      additionalProperties: false,
      properties: {
        initialDelayMs: { type: 'integer', minimum: 1, default: 500 },
        maxDelayMs: { type: 'integer', minimum: 1, default: 10000 },
      },
    },
    outbox: durabilityOption('Transactional outbox: on by default when a knex-session is listed after message-bus; false sends in the execution after the commit instead.', {
      pollMs: { type: 'integer', minimum: 10, default: 1000, description: 'How often the relay looks for rows other processes left and delayed rows that came due.' },
      batchSize: { type: 'integer', minimum: 1, maximum: 10000, default: 200, description: 'Rows the relay claims and publishes at once.' },
      leaseMs: { type: 'integer', minimum: 100, description: 'How long a claimed row stays with its relay before another may send it (default: 3 × publishTimeoutMs, at least 30000).' },
      retentionMs: { type: 'integer', minimum: 0, default: 3600000, description: 'Sent rows are deleted after this long.' },
    }),
    inbox: durabilityOption('Idempotent consumers: on by default when a knex-session is listed after message-bus; false turns it off for every handler.', {
      allHandlers: { type: 'boolean', default: true, description: 'Every handler uses the inbox unless its option says inbox: false; with false only handlers with inbox: true do.' },
      retentionMs: { type: 'integer', minimum: 1, default: 604800000, description: 'A handled messageId is remembered this long (default 7 days); a copy arriving later runs again.' },
    }),
  },
} as const;

export default definePlugin({
  name: 'message-bus',
  options: optionsSchema,
  commands: { dlq: dlqCommand, declare: declareCommand },
  check(ctx) {
    const inner = innerConnections(ctx.service, ctx.at[1] as number);
    for (const key of ['outbox', 'inbox'] as const) {
      const option = ctx.options[key];
      if (option && !option.connection && !inner.length) {
        ctx.report([...ctx.at, 'with', key], `the ${key} needs a knex-session listed after message-bus (its transaction holds the ${key}'s rows): add one, or write ${key}: false`);
      } else if (option && option.connection && !inner.includes(option.connection)) {
        ctx.report([...ctx.at, 'with', key, 'connection'], `no knex-session with connection '${option.connection}' is listed after message-bus: the ${key} needs that connection's transaction inside this plugin's layer (list it after message-bus)`);
      }
    }
  },
  async setup(ctx) {
    const { url, exchange = 'jararaca', publishTimeoutMs = 10000, connectTimeoutMs = 15000, reconnect, queueType = 'classic' } = ctx.options;
    const urls: readonly string[] = typeof url === 'string' ? [url] : url;
    // amqplib (~50 ms to load) only for a broker, not on memory:// (a test host, a laptop).
    const transport = urls[0].startsWith('memory:')
      ? new MemoryTransport(urls[0])
      : new (await import('./amqp.ts')).AmqpTransport(
          {
            urls,
            queueType,
            exchange,
            publishTimeoutMs,
            connectTimeoutMs,
            reconnect: { initialDelayMs: reconnect?.initialDelayMs ?? 500, maxDelayMs: reconnect?.maxDelayMs ?? 10000 },
            connectionName: `jararaca ${ctx.service.name} (${[...ctx.roles].join(',') || 'tool'}) pid ${process.pid}`,
          },
          ctx.logger,
        );
    const inner = innerConnections(ctx.service);
    const outboxOptions = ctx.options.outbox || undefined;
    const inboxOptions = ctx.options.inbox || undefined;
    const outboxConnection = chooseConnection(ctx.options.outbox, inner);
    const inboxConnection = chooseConnection(ctx.options.inbox, inner);
    // Loaded only when used: a service without a database does not load knex.
    const sessions = outboxConnection || inboxConnection ? await import('jararaca/knex-session') : undefined;
    const store = outboxConnection ? new OutboxStore(ctx.service.name) : undefined;
    const relay =
      store && sessions && outboxConnection && ctx.roles.size
        ? new OutboxRelay(store, () => sessions.useKnex(outboxConnection, ctx.container), transport, ctx.logger, {
            exchange,
            pollMs: outboxOptions?.pollMs ?? 1000,
            batchSize: outboxOptions?.batchSize ?? 200,
            leaseMs: outboxOptions?.leaseMs ?? Math.max(30000, 3 * publishTimeoutMs),
            retentionMs: outboxOptions?.retentionMs ?? 3600000,
            connection: outboxConnection,
          })
        : undefined;
    const inboxAll = inboxOptions?.allHandlers ?? true;
    const inboxRetentionMs = inboxOptions?.retentionMs ?? 604800000;
    const warnedNoId = new Set<string>();
    let pruneTimer: NodeJS.Timeout | undefined;
    // A broker that did not answer within publishTimeoutMs is reconnecting with backoff: a few seconds.
    const retryAfterSeconds = Math.max(1, Math.ceil(Math.min(reconnect?.maxDelayMs ?? 10000, 5000) / 1000));

    // Without the outbox (or for a @NoSession() handler): sent now, after the inner layers committed.
    const publishNow = async (execution: Execution, messages: readonly StagedMessage[]) => {
      for (const m of messages) {
        // Accepted at publish() because the outbox is on, but this execution has no session (@NoSession()).
        if ((m.at ? m.at.getTime() - Date.now() : (m.delayMs ?? 0)) > MAX_DELAY_MS) {
          throw new JararacaError('JRR_PUBLISH_DELAY', `publish(${m.name}): a delay of more than 7 days needs the outbox, and ${execution.handler.name} has no writable database session (@NoSession() or @ReadOnly())`);
        }
      }
      try {
        await tracedPublish(transport, withRelativeDelays(messages), exchange, 'direct');
      } catch (err) {
        if ((err as { code?: string })?.code !== 'JRR_BUS_UNAVAILABLE') throw err;
        throw new BusUnavailableError(`${(err as Error).message}. This execution's other work is done (its transaction committed); the messages were not sent`, retryAfterSeconds, { cause: err });
      }
    };

    const useInbox = (execution: Execution): boolean => {
      if (!inboxConnection || execution.kind !== 'message') return false;
      return (execution.is('message') ? execution.handler.spec.inbox : undefined) ?? inboxAll;
    };

    return {
      provides: { [TRANSPORT_CAPABILITY]: transport, [PENDING_WORK_CAPABILITY]: (() => relay?.pendingWork) satisfies PendingWork },
      async start() {
        await transport.start();
        if (!sessions || !ctx.roles.size) return;
        // knex-session (listed after, so started after) runs these once it connects, before it is ready.
        if (outboxConnection && relay) {
          // ctx.container names this host: with several in one process (tests), its own connection.
          await sessions.whenConnected(outboxConnection, async (knex) => {
            await createOutboxTable(knex);
            relay.start();
          }, ctx.container);
          // Stopped before the pool closes (plugins stop in reverse order): a last pass sends what is left.
          sessions.beforeDisconnect(outboxConnection, () => relay.stop(Math.min(5000, publishTimeoutMs)), ctx.container);
        }
        if (inboxConnection && ctx.roles.has('worker')) {
          await sessions.whenConnected(inboxConnection, createInboxTable, ctx.container);
          const queues = ctx.handlers.ofKind('message').map((h) => `${ctx.service.name}.${h.spec.name ?? h.name}`);
          pruneTimer = setInterval(() => {
            void pruneInbox(sessions.useKnex(inboxConnection, ctx.container), queues, inboxRetentionMs).catch((err: unknown) => ctx.logger.debug({ err }, 'inbox: pruning failed; retried later'));
          }, pruneEveryMs(inboxRetentionMs));
          pruneTimer.unref();
        }
      },
      async stop() {
        clearInterval(pruneTimer);
        await relay?.stop(0);
        await transport.close();
      },
      health: () => {
        const report: HealthReport = transport.health();
        if (!relay) return report;
        const s = relay.stats;
        const outbox = `outbox: ${s.pending} pending, oldest ${s.lagMs} ms`;
        // With the outbox, a process that does not consume keeps serving while the broker is away.
        return { ready: report.ready || !ctx.roles.has('worker'), detail: report.ready ? outbox : `${report.detail}; ${outbox} (sent when it is back)` };
      },
      asyncapi: (base) => busAsyncApi(base, { exchange, queueType, transport: transport.kind }),
      describe: () => [
        `message-bus: ${transport.kind} ${urls.map(redactUrl).join(', ')}, exchange '${exchange}'${queueType === 'quorum' ? ', quorum queues' : ''}` +
          (outboxConnection ? `, outbox on knex-session '${outboxConnection}'` : ', no outbox') +
          (inboxConnection ? `, inbox on '${inboxConnection}'${inboxAll ? '' : ' (handlers with inbox: true)'}` : ''),
      ],
      intercept(execution: Execution, next: Next): Promise<unknown> {
        const publisher = createPublisher(outboxConnection ? OUTBOX_MAX_DELAY_MS : MAX_DELAY_MS);
        usePublisher.provide(execution, publisher);
        if (sessions) return interceptWithSessions(execution, next, publisher, sessions);
        // No knex-session (no outbox, no inbox): one .then per execution rather than an async function.
        let inner: Promise<unknown>;
        try {
          inner = next();
        } catch (err) {
          return Promise.reject(err);
        }
        // Only reached when every inner layer succeeded; a throw above drops the staged messages.
        return inner.then((result) => (publisher.staged.length ? publishNow(execution, publisher.staged).then(() => result) : result));
      },
    };

    async function interceptWithSessions(execution: Execution, next: Next, publisher: Publisher, sessions: typeof import('jararaca/knex-session')): Promise<unknown> {
      let written = false;
      let duplicate = false;
      // @ReadOnly() and @NoSession() handlers have no transaction to write to: sent directly, no inbox.
      const meta = sessions ? execution.getMetadata<SessionMetadata>(sessions.SESSION_METADATA) : undefined;
      const writable = !meta?.none && !meta?.readOnly;
      if (store && sessions && outboxConnection && writable) {
        sessions.onBeforeCommit(execution, outboxConnection, async (trx) => {
          written = true;
          if (publisher.staged.length) await store.insert(trx, execution.id, publisher.staged);
        });
      }
      if (sessions && inboxConnection && writable && useInbox(execution)) {
        const message = execution.is('message') ? execution.details.message : undefined;
        if (message?.id) {
          sessions.onSessionStart(execution, inboxConnection, async (trx) => {
            if (await recordInbox(trx, message.queue, message.id)) return true;
            duplicate = true;
            return false;
          });
        } else if (message && !warnedNoId.has(message.handler)) {
          warnedNoId.add(message.handler);
          execution.logger.warn({ handler: message.handler }, 'inbox: a message without a messageId cannot be deduplicated; handled as is (this warning is logged once per handler)');
        }
      }
      const result = await next();
      // Only reached when every inner layer succeeded; a throw above drops the staged messages.
      if (duplicate) {
        execution.logger.info({ messageId: execution.id }, 'inbox: this message was already handled; acknowledged without running the handler');
        return result;
      }
      if (publisher.staged.length) {
        if (written) relay?.nudge();
        else await publishNow(execution, publisher.staged);
      }
      return result;
    }
  },
});
