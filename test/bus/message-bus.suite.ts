// The message bus's behavioural suite, run against RabbitMQ (message-bus.amqp.test.ts) and the
// in-process broker (message-bus.memory.test.ts). The service under test writes a JSON-lines
// journal (handled messages, committed writes, rollbacks) that the tests read.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { http, spawnHost, uniqueName, writeService, type SpawnedHost } from '../support/host.ts';
import { eventually } from '../support/eventually.ts';

export interface JournalLine {
  type: string;
  handler?: string;
  id?: string;
  attempt?: number;
  topic?: string;
  headers?: Record<string, unknown>;
  error?: string;
  t: number;
}

// A test plugin standing in for a database session: writes are staged and only "committed"
// (journaled) after the inner layers succeeded; a failing commit throws. It also exposes the
// transport's dead-letter admin and a raw publish over HTTP (a third-party plugin can).
const KIT = `
import { appendFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { definePlugin, defineHook, TRANSPORT_CAPABILITY, type MessageTransport } from 'jararaca';

export function journal(event: Record<string, unknown>): void {
  appendFileSync(process.env.JOURNAL!, JSON.stringify({ t: Date.now(), pid: process.pid, ...event }) + '\\n');
}

export interface Recorder { write(event: Record<string, unknown>): void; failCommit: boolean }
export const useRecorder = defineHook<Recorder>({ name: 'useRecorder', plugin: 'test-kit' });

export default definePlugin({
  name: 'test-kit',
  setup(ctx) {
    const transport = () => ctx.capability<MessageTransport>(TRANSPORT_CAPABILITY)!;
    return {
      async intercept(execution, next) {
        const writes: Record<string, unknown>[] = [];
        const rec: Recorder = { write: (e) => writes.push(e), failCommit: false };
        useRecorder.provide(execution, rec);
        try {
          const result = await next();
          if (rec.failCommit) throw new Error('commit failed');
          for (const w of writes) journal(w);
          journal({ type: 'commit', handler: execution.handler.name });
          return result;
        } catch (err) {
          journal({ type: 'rollback', handler: execution.handler.name, error: (err as Error).message });
          throw err;
        }
      },
      http(app) {
        app.get<{ Params: { queue: string } }>('/kit/dlq/:queue', async (req) => transport().deadLetters!.list(req.params.queue, 100));
        app.post<{ Params: { queue: string } }>('/kit/dlq/:queue/requeue', async (req) => ({ moved: await transport().deadLetters!.requeue(req.params.queue, 1000) }));
        app.post<{ Body: { name: string; topic: string; raw: string } }>('/kit/raw', async (req) => {
          await transport().publish([{ messageId: randomUUID(), name: req.body.name, topic: req.body.topic, body: Buffer.from(req.body.raw), headers: {}, timestamp: Date.now() }]);
          return { ok: true };
        });
      },
    };
  },
});
`;

const CONTROLLER = `
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyRequest } from 'fastify';
import { defineMessage, HttpError, MessageBusController, MessageHandler, Post, RestController, type MessageContext } from 'jararaca';
import { usePublisher } from 'jararaca/message-bus';
import { journal, useRecorder } from './test-kit.ts';

const schema = { type: 'object', additionalProperties: false, required: ['id'], properties: { id: { type: 'string' }, mode: { type: 'string' } } } as const;
export const Created = defineMessage({ name: 'Created', topic: 'item.created', kind: 'event', schema });
export const CreatedExtra = defineMessage({ name: 'CreatedExtra', topic: 'item.created.extra', kind: 'event', schema });
const messages = { Created, CreatedExtra };

@RestController('/t')
export class Api {
  @Post('/publish')
  async publish(req: FastifyRequest<{ Body: { message?: 'Created' | 'CreatedExtra'; id: string; mode?: string; fail?: boolean; delayMs?: number; payload?: unknown } }>) {
    const b = req.body;
    const messageId = usePublisher().publish(messages[b.message ?? 'Created'], (b.payload ?? { id: b.id, mode: b.mode }) as { id: string }, { delayMs: b.delayMs, headers: { 'x-test': 'from-http' } });
    useRecorder().write({ type: 'http-write', id: b.id });
    if (b.fail) throw new HttpError(409, 'rolled back on purpose');
    return { messageId };
  }
}

@MessageBusController({ retry: { maxAttempts: 3, initialDelayMs: 100, maxDelayMs: 400 } })
export class Handlers {
  @MessageHandler(Created, { name: 'exact', timeoutMs: 1500 })
  async exact(p: { id: string; mode?: string }, ctx: MessageContext) {
    journal({ type: 'handle', handler: 'exact', id: p.id, attempt: ctx.attempt, topic: ctx.topic, headers: ctx.headers, messageId: ctx.id });
    const first = ctx.attempt === 1;
    if (p.mode === 'fail') throw new Error('boom ' + p.id);
    if (p.mode === 'fail-while-flag' && existsSync(process.env.FAIL_FLAG!)) throw new Error('flag is set');
    if (p.mode === 'commit-fails-once' && first) useRecorder().failCommit = true;
    if (p.mode === 'hang-once' && first) {
      await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
      journal({ type: 'aborted', id: p.id, reason: String((ctx.signal.reason as Error)?.message) });
      await sleep(50);
    }
    if (p.mode === 'slow') await sleep(400);
    if (p.mode === 'republish') usePublisher().publish(CreatedExtra, { id: p.id + '-x' });
    useRecorder().write({ type: 'write', handler: 'exact', id: p.id, attempt: ctx.attempt });
  }

  @MessageHandler(Created, { name: 'wild', topic: 'item.created.#' })
  async wild(p: { id: string }, ctx: MessageContext) {
    journal({ type: 'handle', handler: 'wild', id: p.id, topic: ctx.topic });
  }

  @MessageHandler(CreatedExtra, { name: 'extra' })
  async extra(p: { id: string }, ctx: MessageContext) {
    journal({ type: 'handle', handler: 'extra', id: p.id, topic: ctx.topic, headers: ctx.headers });
  }
}
`;

export function serviceYaml(name: string): string {
  return `name: ${name}
interceptors:
  - use: message-bus
    with:
      url: \${BUS_URL}
      exchange: \${BUS_EXCHANGE}
      publishTimeoutMs: 15000
      reconnect: { initialDelayMs: 200, maxDelayMs: 1000 }
  - use: ./test-kit.ts
controllers:
  - ./controller.ts
worker:
  prefetch: 5
  shutdownTimeoutMs: \${SHUTDOWN_MS:-5000}
logging:
  level: \${LOG_LEVEL:-info}
`;
}

export interface BusService {
  dir: string;
  name: string;
  exchange: string;
  journalFile: string;
  failFlag: string;
  env: Record<string, string>;
  journal(): JournalLine[];
  waitFor(what: string, predicate: (lines: JournalLine[]) => boolean, timeoutMs?: number): Promise<JournalLine[]>;
}

export function makeService(busUrl: string): BusService {
  const name = uniqueName('bus').replace(/_/g, '-');
  const exchange = uniqueName('jrr_test_ex');
  const dir = writeService({ 'service.yaml': serviceYaml(name), 'test-kit.ts': KIT, 'controller.ts': CONTROLLER });
  const journalFile = path.join(dir, 'journal.jsonl');
  const failFlag = path.join(dir, 'fail.flag');
  writeFileSync(journalFile, '');
  // Read while the host appends: only lines already ended by a newline are complete.
  const journal = () => {
    const text = readFileSync(journalFile, 'utf8');
    return text
      .slice(0, text.lastIndexOf('\n') + 1)
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as JournalLine);
  };
  return {
    dir,
    name,
    exchange,
    journalFile,
    failFlag,
    env: { BUS_URL: busUrl, BUS_EXCHANGE: exchange, JOURNAL: journalFile, FAIL_FLAG: failFlag },
    journal,
    async waitFor(what, predicate, timeoutMs = 15000) {
      try {
        return await eventually(what, () => {
          const lines = journal();
          return predicate(lines) && lines;
        }, { timeoutMs });
      } catch (err) {
        throw new Error(`${(err as Error).message}; journal:\n${journal().map((l) => JSON.stringify(l)).join('\n')}`);
      }
    },
  };
}

export const handled = (lines: JournalLine[], handler: string, id: string) => lines.filter((l) => l.type === 'handle' && l.handler === handler && l.id === id);
export const writes = (lines: JournalLine[], id: string) => lines.filter((l) => l.type === 'write' && l.id === id);

/** The tests both brokers must pass, against one `--role all` host. */
export function behaviouralSuite(label: string, busUrl: () => string, cleanup: (svc: BusService) => Promise<void> = async () => {}) {
  let svc: BusService;
  let host: SpawnedHost;
  const publish = (body: Record<string, unknown>) => http('POST', `${host.url}/t/publish`, body);
  const dlq = async (handler: string) => (await http('GET', `${host.url}/kit/dlq/${svc.name}.${handler}`)).body as Array<Record<string, unknown>>;

  before(async () => {
    svc = makeService(busUrl());
    host = await spawnHost(path.join(svc.dir, 'service.yaml'), { env: svc.env });
  });
  after(async () => {
    await host?.stop();
    if (svc) {
      await cleanup(svc);
      rmSync(svc.dir, { recursive: true, force: true });
    }
  });

  test(`${label}: routing by exact topic; a wildcard binding asks for more; every event handler gets its copy`, async () => {
    assert.equal((await publish({ id: 'r1' })).status, 200);
    assert.equal((await publish({ id: 'r2', message: 'CreatedExtra' })).status, 200);
    const lines = await svc.waitFor('routing', (l) => handled(l, 'exact', 'r1').length === 1 && handled(l, 'wild', 'r1').length === 1 && handled(l, 'wild', 'r2').length === 1 && handled(l, 'extra', 'r2').length === 1);
    assert.equal(handled(lines, 'exact', 'r2').length, 0, 'the exact handler of item.created must not receive item.created.extra');
    assert.equal(handled(lines, 'extra', 'r1').length, 0);
    assert.equal(handled(lines, 'exact', 'r1')[0].topic, 'item.created');
    assert.equal(handled(lines, 'exact', 'r1')[0].headers?.['x-test'], 'from-http');
  });

  test(`${label}: the message is published only after the HTTP execution committed`, async () => {
    await publish({ id: 'c1' });
    const lines = await svc.waitFor('c1 handled', (l) => handled(l, 'exact', 'c1').length === 1);
    const commit = lines.findIndex((l) => l.type === 'http-write' && l.id === 'c1');
    const handle = lines.findIndex((l) => l.type === 'handle' && l.id === 'c1');
    assert.ok(commit >= 0 && commit < handle, 'the HTTP write was committed before the message reached a handler');
  });

  test(`${label}: nothing is published when the execution rolled back`, async () => {
    assert.equal((await publish({ id: 'rb1', fail: true })).status, 409);
    await publish({ id: 'rb2' });
    const lines = await svc.waitFor('rb2 handled', (l) => handled(l, 'exact', 'rb2').length === 1 && handled(l, 'wild', 'rb2').length === 1);
    assert.equal(lines.filter((l) => l.id === 'rb1' && l.type === 'handle').length, 0);
    assert.equal(lines.filter((l) => l.id === 'rb1' && l.type === 'http-write').length, 0);
  });

  test(`${label}: a failed commit is not acked: the message is retried, its write committed once`, async () => {
    await publish({ id: 'ack1', mode: 'commit-fails-once' });
    const lines = await svc.waitFor('ack1 committed', (l) => writes(l, 'ack1').length === 1);
    assert.deepEqual(handled(lines, 'exact', 'ack1').map((l) => l.attempt), [1, 2]);
    assert.ok(lines.some((l) => l.type === 'rollback' && l.error === 'commit failed'));
  });

  test(`${label}: retries with growing delays, then the dead-letter queue with the error`, async () => {
    await publish({ id: 'd1', mode: 'fail' });
    const lines = await svc.waitFor('three attempts', (l) => handled(l, 'exact', 'd1').length === 3);
    const attempts = handled(lines, 'exact', 'd1');
    assert.deepEqual(attempts.map((l) => l.attempt), [1, 2, 3]);
    // initialDelayMs 100 doubling, ±25% jitter: at least 75 ms then 150 ms (never early).
    assert.ok(attempts[1].t - attempts[0].t >= 70, `first retry after ${attempts[1].t - attempts[0].t} ms`);
    assert.ok(attempts[2].t - attempts[1].t >= 140, `second retry after ${attempts[2].t - attempts[1].t} ms`);
    const letter = await eventually('the dead letter of d1', async () => (await dlq('exact')).find((d) => JSON.parse(String(d.body)).id === 'd1'));
    assert.equal(letter.error, 'boom d1');
    assert.equal(letter.attempts, 3);
    assert.equal(letter.topic, 'item.created');
    assert.equal(letter.name, 'Created');
    assert.equal(writes(svc.journal(), 'd1').length, 0);
  });

  test(`${label}: poison messages go to the dead-letter queue at once; good ones keep flowing`, async () => {
    await http('POST', `${host.url}/kit/raw`, { name: 'Created', topic: 'item.created', raw: 'not json {' });
    await http('POST', `${host.url}/kit/raw`, { name: 'Created', topic: 'item.created', raw: JSON.stringify({ id: 'p-bad', unexpected: 1 }) });
    await publish({ id: 'p-good' });
    await svc.waitFor('good message after poison', (l) => writes(l, 'p-good').length === 1);
    const poison = async () => (await dlq('exact')).filter((d) => String(d.body) === 'not json {' || String(d.body).includes('p-bad'));
    const letters = await eventually('both poison messages dead-lettered', async () => {
      const found = await poison();
      return found.length >= 2 && found;
    });
    assert.equal(letters.length, 2);
    for (const l of letters) {
      assert.equal(l.attempts, 1);
      assert.match(String(l.error), /poison message/);
    }
    assert.equal(handled(svc.journal(), 'exact', 'p-bad').length, 0, 'a payload failing its schema never reaches the handler');
  });

  test(`${label}: a handler over its timeoutMs is aborted and the message retried, not left unacked`, async () => {
    await publish({ id: 'to1', mode: 'hang-once' });
    const lines = await svc.waitFor('to1 second attempt', (l) => writes(l, 'to1').some((w) => w.attempt === 2), 20000);
    const aborted = lines.find((l) => l.type === 'aborted' && l.id === 'to1') as JournalLine & { reason?: string };
    assert.ok(aborted, 'the execution signal fired');
    assert.match(String(aborted.reason), /timeoutMs/);
    assert.deepEqual(handled(lines, 'exact', 'to1').map((l) => l.attempt), [1, 2]);
  });

  test(`${label}: a handler's publish carries no header of the message it handles; delayed publish arrives`, async () => {
    await publish({ id: 'h1', mode: 'republish' });
    await publish({ id: 'dl1', delayMs: 300 });
    const lines = await svc.waitFor('republished and delayed', (l) => handled(l, 'extra', 'h1-x').length === 1 && handled(l, 'exact', 'dl1').length === 1);
    assert.equal(handled(lines, 'extra', 'h1-x')[0].headers?.['x-test'], undefined);
    const sent = lines.find((l) => l.type === 'http-write' && l.id === 'dl1')!;
    assert.ok(handled(lines, 'exact', 'dl1')[0].t - sent.t >= 250, 'not delivered before its delay');
  });

  test(`${label}: dead letters requeued go back to the handler and succeed`, async () => {
    writeFileSync(svc.failFlag, '');
    await publish({ id: 'rq1', mode: 'fail-while-flag' });
    await svc.waitFor('rq1 dead-lettered', (l) => handled(l, 'exact', 'rq1').length === 3);
    await eventually('rq1 in the dead-letter queue', async () => (await dlq('exact')).some((d) => String(d.body).includes('rq1')));
    rmSync(svc.failFlag);
    const moved = (await http('POST', `${host.url}/kit/dlq/${svc.name}.exact/requeue`)).body.moved as number;
    assert.ok(moved >= 1);
    const lines = await svc.waitFor('rq1 written', (l) => writes(l, 'rq1').length === 1);
    assert.equal(handled(lines, 'exact', 'rq1').at(-1)?.attempt, 1, 'attempts start again');
    assert.equal(handled(lines, 'wild', 'rq1').length, 1, 'requeued to that handler only, not re-broadcast');
    assert.ok(!(await dlq('exact')).some((d) => String(d.body).includes('rq1')), 'no longer a dead letter');
  });

  return { host: () => host, svc: () => svc };
}

export { existsSync };
