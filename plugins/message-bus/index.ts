// Built-in `message-bus` plugin: usePublisher() in every role, and the transport the worker
// role consumes ('jararaca.transport'): RabbitMQ for amqp:// and amqps://, an in-process broker
// with the same semantics for memory://.
import { definePlugin, redactUrl, TRANSPORT_CAPABILITY, type Execution, type Next } from 'jararaca';
import { AmqpTransport } from './amqp.ts';
import { declareCommand } from './declare-command.ts';
import { dlqCommand } from './dlq-command.ts';
import { MemoryTransport } from './memory.ts';
import { createPublisher, usePublisher } from './publisher.ts';

export { usePublisher } from './publisher.ts';
export type { Publisher, PublishOptions } from './publisher.ts';
export { delayBucket, topicMatcher } from './routing.ts';

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
    publishTimeoutMs: { type: 'integer', minimum: 1, default: 10000, description: 'How long a publish waits for a (re)connection and the broker confirm before failing the execution.' },
    connectTimeoutMs: { type: 'integer', minimum: 0, default: 15000, description: 'How long start-up waits for the broker.' },
    reconnect: {
      type: 'object',
      additionalProperties: false,
      properties: {
        initialDelayMs: { type: 'integer', minimum: 1, default: 500 },
        maxDelayMs: { type: 'integer', minimum: 1, default: 10000 },
      },
    },
  },
} as const;

export default definePlugin({
  name: 'message-bus',
  options: optionsSchema,
  commands: { dlq: dlqCommand, declare: declareCommand },
  setup(ctx) {
    const { url, exchange = 'jararaca', publishTimeoutMs = 10000, connectTimeoutMs = 15000, reconnect, queueType = 'classic' } = ctx.options;
    const urls: readonly string[] = typeof url === 'string' ? [url] : url;
    const transport = urls[0].startsWith('memory:')
      ? new MemoryTransport(urls[0])
      : new AmqpTransport(
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
    return {
      provides: { [TRANSPORT_CAPABILITY]: transport },
      start: () => transport.start(),
      stop: () => transport.close(),
      health: () => transport.health(),
      describe: () => [`message-bus: ${transport.kind} ${urls.map(redactUrl).join(', ')}, exchange '${exchange}'${queueType === 'quorum' ? ', quorum queues' : ''}`],
      async intercept(execution: Execution, next: Next) {
        const publisher = createPublisher();
        usePublisher.provide(execution, publisher);
        const result = await next();
        // Only reached when every inner layer succeeded; a throw above drops the staged messages.
        if (publisher.staged.length) await transport.publish(publisher.staged);
        return result;
      },
    };
  },
});
