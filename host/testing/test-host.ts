// createTestHost: a service in this process on the embedded engines, with what a test needs
// around it (inject, publish, settle, published, fire, ws, run, overrides). See docs/testing.md.
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { FastifyBaseLogger, FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import type { Logger } from 'pino';
import { stringify } from 'yaml';
import { parseDeclaration, type Env } from '../core/declaration.ts';
import type { ServiceDeclaration } from '../core/declaration.types.ts';
import { JararacaError } from '../core/errors.ts';
import type { Execution, HandlerInfo } from '../core/execution.ts';
import { PENDING_WORK_CAPABILITY, type PendingWork } from '../core/plugin.ts';
import { createLogger } from '../core/logger.ts';
import { Host } from '../host.ts';
import { resolveActions } from '../roles/scheduler/actions.ts';
import type { ScheduledFire } from '../roles/scheduler/decorator.ts';
import { TRANSPORT_CAPABILITY, type MessageDefinition, type MessageTransport, type OutgoingMessage } from '../roles/worker/messages.ts';
import { Activity } from './activity.ts';
import type { TestClock } from './clock.ts';
import { EMBEDDED_DATABASE_URL } from './embedded.ts';
import { connectWs, type TestWsClient } from './ws-client.ts';

export interface TestHostOptions {
  /**
   * Environment for the declaration's `${VAR}` references, over process.env. DATABASE_URL,
   * AMQP_URL and REDIS_URL default to the embedded engines (pglite://memory, a memory:// broker
   * of this host's own, memory://) whatever process.env says; set them here for real servers.
   */
  env?: Env;
  /** Providers replaced by token (declared ones, or those a plugin registers such as 'clock'). */
  overrides?: Readonly<Record<string, unknown>>;
  /** For a declaration object: the folder its relative paths are resolved from (default: the working directory). */
  dir?: string;
  /** Default: silent, or LOG_LEVEL when set. */
  logger?: Logger;
  /** How long start() waits for /health/ready (default 10000 ms). */
  readyTimeoutMs?: number;
  /** Start at once (default true); with false, call start(). */
  start?: boolean;
  /**
   * Runs the scheduler role too, on this clock: `clock.advance(ms)` fires the actions whose
   * slots fall due, through the role (lock, overlap policy) and the interceptors.
   */
  clock?: TestClock;
}

/** A message that left through the transport (after its execution committed), in order. */
export interface PublishedMessage {
  readonly name: string;
  readonly topic: string;
  readonly payload: unknown;
  readonly messageId: string;
  readonly headers: Readonly<Record<string, string | number | boolean>>;
}

export interface TestHost {
  readonly host: Host;
  /** The clock the scheduler role runs on (only with the `clock` option). */
  readonly clock?: TestClock;
  /** http://127.0.0.1:PORT of the listening HTTP role (after start). */
  readonly url: string;
  /** Resolves when the service is ready: plugins started, auto-migrations done, /health/ready true. */
  start(): Promise<TestHost>;
  /** Fastify's inject on the HTTP role: a request without a socket, through every interceptor. */
  inject(request: InjectOptions | string): Promise<LightMyRequestResponse>;
  /** Publishes a message as if another service had (validated first); returns its id. */
  publish<T>(message: MessageDefinition<T>, payload: T, options?: { headers?: Record<string, string | number | boolean>; messageId?: string }): Promise<string>;
  /** Waits until no execution is in flight, the broker has nothing queued or delayed, and it stayed so briefly. */
  settle(options?: { timeoutMs?: number }): Promise<void>;
  /** Messages that left, in order (those publish() sent included). */
  published(name?: string): PublishedMessage[];
  /** Runs one fire of a scheduled action (by its name) through the interceptors. */
  fire(action: string, slot?: Date): Promise<void>;
  /** A connected WebSocket client on `path`. */
  ws(path: string, headers?: Record<string, string>): Promise<TestWsClient>;
  /** Runs `fn` inside an execution (hooks such as useSession() and usePublisher() work), committed when it resolves. */
  run<T>(fn: (execution: Execution) => Promise<T> | T): Promise<T>;
  /** A provider from the root container. */
  resolve<T>(token: string): T;
  /** Stops everything (clients, roles, plugins); safe to call twice. */
  close(): Promise<void>;
}

let hosts = 0;

async function loadRoles() {
  const [{ startHttpRole }, { startWorkerRole }, { startSchedulerRole }] = await Promise.all([import('../roles/http/server.ts'), import('../roles/worker/role.ts'), import('../roles/scheduler/role.ts')]);
  return { startHttpRole, startWorkerRole, startSchedulerRole };
}

class RunTarget {
  run(): void {}
}
const RUN_HANDLER: HandlerInfo = { name: 'test.run', kind: 'test', controller: RunTarget, method: 'run', spec: undefined, metadata: new Map(), middleware: [] };

export async function createTestHost(declaration: string | ServiceDeclaration, options: TestHostOptions = {}): Promise<TestHost> {
  const n = ++hosts;
  const env: Env = { ...process.env, DATABASE_URL: EMBEDDED_DATABASE_URL, AMQP_URL: `memory://jararaca-test-${process.pid}-${n}`, REDIS_URL: 'memory://', ...options.env };
  const logger = options.logger ?? createLogger({ level: process.env.LOG_LEVEL ?? 'silent' });
  const config =
    typeof declaration === 'string'
      ? path.resolve(declaration)
      : parseDeclaration(stringify(declaration), path.join(path.resolve(options.dir ?? process.cwd()), `test-host-${n}.service.yaml`), env);
  const host = await Host.load({ config, env, logger, roles: options.clock ? ['http', 'worker', 'scheduler'] : ['http', 'worker'] });
  applyOverrides(host, options.overrides ?? {});
  // The roles (Fastify and the rest) load now, while the plugins' preloads (the in-memory
  // database's start) run on, not before Host.load: they would delay those by ~0.2 s.
  const roles = loadRoles();
  roles.catch(() => undefined); // a host never started does not await it; one that starts gets the error there

  const activity = new Activity();
  // Every execution counts for settle(): roles and plugins reach the pipeline only through this.
  const execute = host.execute.bind(host);
  host.execute = ((init, fn) => activity.track(() => execute(init, fn))) as Host['execute'];

  const sent: PublishedMessage[] = [];
  let transport: MessageTransport | undefined;
  let app: FastifyInstance | undefined;
  let port = 0;
  const clients = new Set<TestWsClient>();
  let starting: Promise<TestHost> | undefined;
  let closing: Promise<void> | undefined;

  const started = () => {
    if (!app) throw new JararacaError('JRR_NOT_STARTED', 'the test host has not started: await host.start() first');
    return app;
  };

  const test: TestHost = {
    host,
    clock: options.clock,
    get url() {
      started();
      return `http://127.0.0.1:${port}`;
    },
    start() {
      starting ??= (async () => {
        await host.start({
          http: async (h) => {
            transport = observeTransport(h, sent);
            const role = await (await roles).startHttpRole(h, { port: 0 });
            app = role.app;
            port = role.port;
            return role;
          },
          worker: async (h) => (await roles).startWorkerRole(h),
          scheduler: async (h) => (await roles).startSchedulerRole(h, { clock: options.clock }),
        });
        await waitReady(host, options.readyTimeoutMs ?? 10000);
        return test;
      })();
      return starting;
    },
    inject: (request) => activity.track(() => started().inject(request)),
    async publish(message, payload, publishOptions = {}) {
      started();
      if (!transport) throw new JararacaError('JRR_NO_TRANSPORT', 'publish(): the service declares no message transport: add `- use: message-bus` with { url: "${AMQP_URL:-memory://}" }');
      const body = Buffer.from(JSON.stringify(message.parse(payload)));
      const messageId = publishOptions.messageId ?? randomUUID();
      await transport.publish([{ messageId, name: message.name, topic: message.topic, body, headers: { ...publishOptions.headers }, timestamp: Date.now() }]);
      return messageId;
    },
    settle: (settleOptions) =>
      activity.settle(() => {
        if (transport?.idle && !transport.idle()) return `the ${transport.kind} transport has messages queued, in delivery or delayed`;
        for (const pending of host.capabilities<PendingWork>(PENDING_WORK_CAPABILITY)) {
          const busy = pending();
          if (busy) return busy;
        }
        return undefined;
      }, settleOptions),
    published: (name) => (name === undefined ? [...sent] : sent.filter((m) => m.name === name)),
    async fire(name, slot = new Date()) {
      started();
      const actions = resolveActions(host);
      const action = actions.find((a) => a.name === name);
      if (!action) throw new JararacaError('JRR_UNKNOWN_ACTION', `fire('${name}'): no scheduled action of this service is named so (actions: ${actions.map((a) => a.name).join(', ') || 'none'})`);
      const firedAt = new Date();
      const log = logger.child({ role: 'scheduler', action: name, slot: slot.toISOString() }) as unknown as FastifyBaseLogger;
      await host.execute({ kind: 'scheduled', handler: action.handler, logger: log, details: { slot, firedAt, cron: action.schedule.expression, action: name } }, (execution) =>
        host.handlers.invoke(execution, action.handler, { action: name, slot, firedAt, signal: execution.signal } satisfies ScheduledFire),
      );
    },
    async ws(wsPath, headers) {
      started();
      const client = await connectWs(`ws://127.0.0.1:${port}${wsPath.startsWith('/') ? wsPath : `/${wsPath}`}`, headers);
      clients.add(client);
      return client;
    },
    run: (fn) => host.execute({ kind: 'test', handler: RUN_HANDLER, logger: logger.child({ test: 'run' }) as unknown as FastifyBaseLogger }, fn),
    resolve: <T>(token: string) => host.container.resolve<T>(token),
    close() {
      closing ??= (async () => {
        await Promise.allSettled([...clients].map((c) => c.close()));
        await host.stop();
      })();
      return closing;
    },
  };
  if (options.start ?? true) await test.start();
  return test;
}

/** Overridden tokens become plain values, registered after the plugins' own registrations. */
function applyOverrides(host: Host, overrides: Readonly<Record<string, unknown>>): void {
  // host.providers is what Host#start registers; replacing entries here keeps host.ts unaware of tests.
  const providers = host.providers as Host['providers'][number][];
  for (const [token, value] of Object.entries(overrides)) {
    const replacement = { token, spec: { value }, target: value } as Host['providers'][number];
    const at = providers.findIndex((p) => p.token === token);
    if (at >= 0) providers[at] = replacement;
    else providers.push(replacement);
  }
}

/** Records what the transport confirmed, in order, by wrapping its publish on the instance. */
function observeTransport(host: Host, sent: PublishedMessage[]): MessageTransport | undefined {
  const transport = host.capability<MessageTransport>(TRANSPORT_CAPABILITY);
  if (!transport) return undefined;
  const publish = transport.publish.bind(transport);
  transport.publish = async (messages: readonly OutgoingMessage[]) => {
    await publish(messages);
    for (const m of messages) sent.push({ name: m.name, topic: m.topic, messageId: m.messageId, headers: m.headers, payload: JSON.parse(m.body.toString('utf8')) as unknown });
  };
  return transport;
}

async function waitReady(host: Host, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const health = host.health();
    if (health.ready) return;
    if (Date.now() > deadline) {
      await host.stop().catch(() => undefined);
      throw new JararacaError('JRR_TEST_TIMEOUT', `the test host was not ready within ${timeoutMs} ms: ${JSON.stringify(health)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
