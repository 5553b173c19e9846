// The worker role: consumes one queue per @MessageHandler through whatever transport a plugin
// provides ('jararaca.transport'), runs each delivery as one execution through the interceptor
// onion, and settles it only after the whole onion finished: ack on success (after the commit
// and the publisher's flush), retry with backoff, dead-letter after the last attempt or at once
// for a poison message or an explicit Unrecoverable, requeue at shutdown or while a dependency
// is down (dependency-gate.ts).
import type { FastifyBaseLogger } from 'fastify';
import { noRetryReason } from '../../core/error-mapping.ts';
import { GuardRejected } from '../../core/middleware.ts';
import { DeclarationError, RoleUnavailableError } from '../../core/errors.ts';
import { RepeatedLog } from '../../core/repeated-log.ts';
import { decodeMessage } from './decode.ts';
import type { Execution } from '../../core/execution.ts';
import type { Host, RoleHandle } from '../../host.ts';
import { runWithTimeout, ShutdownAbort } from '../../runtime/abort.ts';
import { drain } from '../../runtime/drain.ts';
import { startHealthServer } from '../../runtime/health-server.ts';
import { selectByName } from '../../runtime/name-filter.ts';
import { DependencyGate } from './dependency-gate.ts';
import { reportReceived, reportSettled } from './delivery-events.ts';
import {
  handlerProblems,
  planHandlers,
  queueSpecs,
  retryDelay,
  TRANSPORT_CAPABILITY,
  type ConsumerHandle,
  type Delivery,
  type MessageContext,
  type MessageHandlerPlan,
  type MessageTransport,
  type Settlement,
} from './messages.ts';
import { checkedAttempt, deadLetter, explicitSettlement, RetryLater, retryLater } from './settlement.ts';

// A flood of poison or failing messages is counted, not logged line by line: the dead-letter
// queue keeps each one's error. One RepeatedLog per handler's logger.
const repeatedLogs = new WeakMap<FastifyBaseLogger, RepeatedLog>();
function repeated(log: FastifyBaseLogger): RepeatedLog {
  let found = repeatedLogs.get(log);
  if (!found) repeatedLogs.set(log, (found = new RepeatedLog(log)));
  return found;
}

export interface WorkerRoleOptions {
  /** --handlers: only these handler names. */
  handlers?: string[];
  /** --health-port: overrides worker.healthPort (used only without an http role). */
  healthPort?: number;
}

const ACK: Settlement = Object.freeze({ action: 'ack' });
const NOTHING = Promise.resolve();

/** The service's message handlers, checked (a task with two handlers is an error). */
export function messagePlans(host: Host): MessageHandlerPlan[] {
  const plans = planHandlers(host.service.name, host.handlers.ofKind('message'), host.service.worker?.prefetch ?? 10);
  const problems = handlerProblems(plans);
  if (problems.length) {
    const file = host.declaration.file;
    throw new DeclarationError(problems.map((message) => ({ file, line: 1, column: 1, path: 'controllers', message })));
  }
  return plans;
}

/** `validate` section: each handler with its queue and binding. */
export function describeMessageHandlers(host: Host): string[] {
  const plans = messagePlans(host);
  if (!plans.length) return [];
  return [
    `message handlers (${plans.length}):`,
    ...plans.map((p) => `  ${p.message.kind} ${p.bindings.join(',')} → ${p.info.name}  queue ${p.queue} (retry ${p.retry.maxAttempts}×, prefetch ${p.prefetch}${p.timeoutMs ? `, timeout ${p.timeoutMs} ms` : ''})`),
  ];
}

export function selectPlans(host: Host, only: readonly string[] | undefined, option = '--handlers'): MessageHandlerPlan[] {
  return selectByName(
    messagePlans(host),
    only,
    (p) => p.name,
    (unknown, known) => new RoleUnavailableError('JRR_UNKNOWN_HANDLER', `${option}: no message handler named ${unknown.join(', ')}; handlers: ${known.join(', ') || 'none'}`),
  );
}

export function transportOf(host: Host): MessageTransport | undefined {
  return host.capability<MessageTransport>(TRANSPORT_CAPABILITY);
}

interface InFlight {
  delivery: Delivery;
  /** Set by host.execute as soon as the execution exists (there is none for a poison message). */
  execution?: Execution<'message'>;
  settled: boolean;
  done: Promise<void>;
  /** For the delivery channel: the handler taking it, and when (0: nobody listens, or never taken). */
  plan?: MessageHandlerPlan;
  startedAt: number;
}

/**
 * A handler's MessageContext: one object per delivery whose methods and getters live on the
 * prototype (an object literal with a getter costs more per message than the rest of the
 * dispatch); the AbortSignal is the execution's own, made on first read.
 */
class DeliveryContext implements MessageContext {
  readonly id: string;
  readonly name: string;
  readonly topic: string;
  readonly attempt: number;
  readonly maxAttempts: number;
  readonly headers: Readonly<Record<string, unknown>>;
  readonly publishedAt: Date | undefined;
  readonly redelivered: boolean;
  readonly handler: string;
  readonly queue: string;
  readonly #entry: InFlight;

  constructor(entry: InFlight, plan: MessageHandlerPlan, attempt: number) {
    const delivery = entry.delivery;
    this.id = delivery.messageId ?? '';
    this.name = delivery.name ?? plan.message.name;
    this.topic = delivery.topic;
    this.attempt = attempt;
    this.maxAttempts = plan.retry.maxAttempts;
    this.headers = delivery.headers;
    this.publishedAt = delivery.timestamp ? new Date(delivery.timestamp) : undefined;
    this.redelivered = delivery.redelivered;
    this.handler = plan.name;
    this.queue = plan.queue;
    this.#entry = entry;
  }

  get signal(): AbortSignal {
    return this.#entry.execution!.signal;
  }

  retryLater(delayMs: number, reason?: string): never {
    return retryLater(delayMs, reason);
  }

  deadLetter(reason: string): never {
    return deadLetter(reason);
  }
}

export async function startWorkerRole(host: Host, options: WorkerRoleOptions = {}): Promise<RoleHandle> {
  const settings = host.service.worker ?? {};
  const logger = host.logger.child({ role: 'worker' });
  const plans = selectPlans(host, options.handlers);
  const transport = transportOf(host);
  if (!transport) {
    if (plans.length) {
      throw new RoleUnavailableError(
        'JRR_NO_TRANSPORT',
        `the worker role needs a message transport for its ${plans.length} handler(s): add\n  interceptors:\n    - use: message-bus\n      with: { url: "\${AMQP_URL:-memory://}" }\nto service.yaml`,
      );
    }
    logger.info('no message handlers and no transport: the worker role has nothing to consume');
  }

  const inFlight = new Set<InFlight>();
  const consumers: ConsumerHandle[] = [];
  let stopping = false;
  const gate = new DependencyGate({ checks: () => host.health().checks, logger: logger as FastifyBaseLogger });

  // Not async, and one promise per settlement: the transport acks at once (its promise already resolved).
  const settle = (entry: InFlight, settlement: Settlement, log: FastifyBaseLogger): Promise<void> => {
    if (entry.settled) return NOTHING;
    entry.settled = true;
    let settling: Promise<void>;
    try {
      settling = transport!.settle(entry.delivery, settlement);
    } catch (err) {
      settling = Promise.reject(err);
    }
    return settling.then(
      () => {
        if (entry.plan) reportSettled(entry.plan, entry.delivery, settlement, entry.startedAt);
      },
      (err: unknown) => {
        if (entry.plan) reportSettled(entry.plan, entry.delivery, { action: 'requeue' }, entry.startedAt);
        // Not settled: the broker redelivers it once the channel is gone; nothing is lost.
        log.warn({ err, settlement: settlement.action }, 'could not settle the message; it goes back to its queue (or is redelivered when the channel closes)');
      },
    );
  };

  // One delivery, start to settlement. Per-handler things (logger, invoker) are made once at
  // start; per message there is one execution and this one async function, nothing else that
  // a no-op handler would not need (an AbortSignal is made only when someone reads one).
  const handle = async (plan: MessageHandlerPlan, log: FastifyBaseLogger, invoke: (exec: Execution<'message'>) => Promise<unknown>, entry: InFlight): Promise<void> => {
    const delivery = entry.delivery;
    try {
      const { attempt, forged } = checkedAttempt(delivery.attempt, plan.retry.maxAttempts);
      if (forged) {
        log.warn({ code: 'JRR_ATTEMPT_FORGED', messageId: delivery.messageId, claimed: delivery.attempt, maxAttempts: plan.retry.maxAttempts }, 'x-jrr-attempt out of range: counted as the first attempt');
      }
      let payload: unknown;
      try {
        payload = decodeMessage(plan.message, delivery.body, delivery.contentType);
      } catch (err) {
        const error = (err as Error).message;
        repeated(log).error('poison', { messageId: delivery.messageId, attempt, topic: delivery.topic }, `${error}; dead-lettered without retries`);
        return await settle(entry, { action: 'dead-letter', error, attempt }, log);
      }
      const ctx = new DeliveryContext(entry, plan, attempt);
      const execution = host.execute({ kind: 'message', handler: plan.info, logger: log, id: delivery.messageId, handle: entry, details: { message: ctx, payload } }, invoke);
      try {
        // Settled only when the whole onion resolved: after the commit and the publisher's flush.
        // Only a handler with timeoutMs races a timer (and pays for its closures); a shutdown
        // deadline settles the entry directly.
        if (plan.timeoutMs) {
          await runWithTimeout(execution, {
            timeoutMs: plan.timeoutMs,
            what: plan.name,
            abort: (reason) => entry.execution!.abort(reason),
            // The execution still ends after its message was settled: observe it.
            onLate: (late) => log.debug({ messageId: delivery.messageId, attempt: delivery.attempt, err: late }, 'execution ended after its message was settled'),
          });
        } else {
          await execution;
        }
      } catch (err) {
        if (entry.settled) return; // returned to its queue at the shutdown deadline
        const error = (err as Error)?.message ?? String(err);
        const about = { messageId: delivery.messageId, attempt, err };
        const explicit = explicitSettlement(err);
        if (explicit && !(explicit instanceof RetryLater)) {
          log.error(about, `message dead-lettered by its handler: ${explicit.message}`);
          return await settle(entry, { action: 'dead-letter', error: explicit.message, attempt }, log);
        }
        // A guard's refusal, or an error mapped with retry: false, would fail the same way again.
        const noRetry = noRetryReason(err);
        if (noRetry) {
          log.warn({ ...about, reason: noRetry }, `message not retried (${noRetry}); dead-lettered`);
          return await settle(entry, { action: 'dead-letter', error: err instanceof GuardRejected ? error : `${error} (${noRetry})`, attempt }, log);
        }
        // A failure while a dependency is down says nothing about the message: back to its
        // queue, attempt unchanged, once the consumers are paused (or it would come straight back).
        if (!explicit && !(await gate.check())) {
          log.warn(about, 'message failed while a dependency is down; returned to its queue without using an attempt');
          return await settle(entry, { action: 'requeue' }, log);
        }
        if (attempt < plan.retry.maxAttempts) {
          const delayMs = explicit ? explicit.delayMs : retryDelay(plan.retry, attempt);
          repeated(log).warn('retry', { ...about, delayMs }, `message failed (attempt ${attempt} of ${plan.retry.maxAttempts}); retrying${explicit ? ' when its handler asked' : ''}`);
          return await settle(entry, { action: 'retry', delayMs, error, attempt }, log);
        }
        repeated(log).error('dead-lettered', about, `message failed on its last attempt (${attempt}); dead-lettered`);
        return await settle(entry, { action: 'dead-letter', error, attempt }, log);
      }
      await settle(entry, ACK, log);
    } catch (err) {
      logger.error({ err, handler: plan.name }, 'unexpected error while handling a message');
    } finally {
      inFlight.delete(entry);
    }
  };

  if (transport && plans.length) {
    await transport.assertTopology(queueSpecs(plans));
    // Consumers start together: one after another, 500 handlers took ~5 s of round trips.
    await Promise.all(plans.map(async (plan) => {
      // One child logger per handler: a pino child per message costs more than the rest of the dispatch.
      const log = logger.child({ handler: plan.name }) as FastifyBaseLogger;
      const invoke = (exec: Execution<'message'>) => {
        return host.handlers.invoke(exec, plan.info, exec.details.payload, exec.details.message);
      };
      const consumer = await transport.consume(plan.queue, plan.prefetch, (delivery) => {
        const entry: InFlight = { delivery, settled: false, done: NOTHING, startedAt: 0 };
        // Stopping, or paused and this one was already on its way: back to the queue.
        if (stopping || gate.paused) {
          void settle(entry, { action: 'requeue' }, logger as FastifyBaseLogger);
          return;
        }
        inFlight.add(entry);
        entry.plan = plan;
        entry.startedAt = reportReceived(plan, delivery);
        entry.done = handle(plan, log, invoke, entry);
      });
      consumers.push(consumer);
      gate.add(consumer);
      logger.info({ handler: plan.name, queue: plan.queue, bindings: plan.bindings, prefetch: plan.prefetch }, 'consuming');
    }));
    gate.start();
  }

  const health = host.roles.has('http') ? undefined : await startHealthServer(host, options.healthPort ?? settings.healthPort ?? 3001);
  if (health) logger.info({ port: health.port }, 'worker health on /health/live and /health/ready');

  return {
    role: 'worker',
    address: health ? `health :${health.port}` : undefined,
    async stop() {
      stopping = true;
      gate.stop();
      await Promise.allSettled(consumers.map((c) => c.cancel()));
      const timeoutMs = settings.shutdownTimeoutMs ?? 10000;
      if (inFlight.size) logger.info({ inFlight: inFlight.size, timeoutMs }, 'waiting for messages in flight');
      await drain(inFlight, (e) => e.done, {
        timeoutMs,
        onDeadline: (left) => {
          logger.warn({ inFlight: left.length }, 'shutdown timeout: returning unfinished messages to their queues');
          const reason = new ShutdownAbort('worker');
          return Promise.allSettled(
            left.map((e) => {
              e.execution?.abort(reason);
              return settle(e, { action: 'requeue' }, logger as FastifyBaseLogger);
            }),
          );
        },
      });
      await health?.stop();
    },
  };
}
