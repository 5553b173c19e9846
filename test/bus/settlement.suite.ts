// Explicit settlement (Unrecoverable, ctx.deadLetter, ctx.retryLater), the forged attempt header
// and "dependencies down ≠ poison", against one `--role all` host: run on the in-process broker
// (settlement.test.ts) and on RabbitMQ (settlement.amqp.int.test.ts). A test plugin stands in
// for a dependency whose health the test switches off and on over HTTP.
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { http, spawnHost, uniqueName, writeService, type SpawnedHost } from '../support/host.ts';
import { eventually } from '../support/eventually.ts';

const KIT = `
import { appendFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { definePlugin, TRANSPORT_CAPABILITY, type MessageTransport } from 'jararaca';

export const dependency = { up: true };
export function journal(event: Record<string, unknown>): void {
  appendFileSync(process.env.JOURNAL!, JSON.stringify({ t: Date.now(), ...event }) + '\\n');
}

export default definePlugin({
  name: 'dep-kit',
  setup(ctx) {
    const transport = () => ctx.capability<MessageTransport>(TRANSPORT_CAPABILITY)!;
    return {
      health: () => (dependency.up ? { ready: true } : { ready: false, detail: 'the test switched it off' }),
      http(app) {
        app.post<{ Body: { up: boolean } }>('/kit/dependency', async (req) => ((dependency.up = req.body.up), { up: dependency.up }));
        app.get<{ Params: { queue: string } }>('/kit/dlq/:queue', async (req) => transport().deadLetters!.list(req.params.queue, 1000));
        app.post<{ Body: { id: string; mode: string; n?: number; headers?: Record<string, string | number> } }>('/kit/send', async (req) => {
          const n = req.body.n ?? 1;
          const messages = Array.from({ length: n }, (_, i) => ({
            messageId: randomUUID(), name: 'Job', topic: 'job.run',
            body: Buffer.from(JSON.stringify({ id: n === 1 ? req.body.id : req.body.id + '-' + i, mode: req.body.mode })),
            headers: req.body.headers ?? {}, timestamp: Date.now(),
          }));
          await transport().publish(messages);
          return { sent: n };
        });
      },
    };
  },
});
`;

const CONTROLLER = `
import { defineMessage, MessageBusController, MessageHandler, Unrecoverable, type MessageContext } from 'jararaca';
import { dependency, journal } from './dep-kit.ts';

export const Job = defineMessage({ name: 'Job', topic: 'job.run', kind: 'task', schema: { type: 'object', required: ['id', 'mode'], properties: { id: { type: 'string' }, mode: { type: 'string' } } } as const });

@MessageBusController({ retry: { maxAttempts: 3, initialDelayMs: 100, maxDelayMs: 200 } })
export class Jobs {
  @MessageHandler(Job, { name: 'job' })
  async run(p: { id: string; mode: string }, ctx: MessageContext) {
    journal({ type: 'handle', id: p.id, attempt: ctx.attempt });
    if (p.mode === 'unrecoverable') throw new Unrecoverable('customer ' + p.id + ' does not exist');
    if (p.mode === 'ctx-dead') ctx.deadLetter('refused by the handler');
    if (p.mode === 'retry-later' && ctx.attempt === 1) ctx.retryLater(300, 'not yet');
    if (p.mode === 'fail') throw new Error('always fails');
    if (p.mode === 'needs-dependency' && !dependency.up) throw new Error('dependency unreachable');
    journal({ type: 'done', id: p.id, attempt: ctx.attempt });
  }
}
`;

interface Line {
  type: string;
  id: string;
  attempt: number;
  t: number;
}

export function settlementSuite(label: string, busUrl: () => string, cleanup: (name: string, exchange: string) => Promise<void> = async () => {}) {
  let host: SpawnedHost;
  let dir: string;
  let name: string;
  let exchange: string;
  let journalFile: string;
  const journal = (): Line[] => {
    const text = readFileSync(journalFile, 'utf8');
    return text.slice(0, text.lastIndexOf('\n') + 1).split('\n').filter(Boolean).map((l) => JSON.parse(l) as Line);
  };
  const waitFor = (what: string, predicate: (lines: Line[]) => boolean, timeoutMs = 20000) =>
    eventually(what, () => {
      const lines = journal();
      return predicate(lines) && lines;
    }, { timeoutMs }).catch((err: Error) => {
      throw new Error(`${err.message}; journal:\n${journal().map((l) => JSON.stringify(l)).join('\n')}`);
    });
  const send = (body: Record<string, unknown>) => http('POST', `${host.url}/kit/send`, body);
  const deadLetters = async () => (await http('GET', `${host.url}/kit/dlq/${name}.job`)).body as Array<{ body: string; error?: string; attempts?: number }>;
  const of = (lines: Line[], type: string, id: string) => lines.filter((l) => l.type === type && l.id === id);
  const waitForDeadLetter = async (id: string) => {
    for (let i = 0; i < 200; i++) {
      const letter = (await deadLetters()).find((d) => JSON.parse(d.body).id === id);
      if (letter) return letter;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`no dead letter for ${id}`);
  };

  before(async () => {
    name = uniqueName('settle').replace(/_/g, '-');
    exchange = uniqueName('jrr_settle_ex');
    dir = writeService({
      'service.yaml': `name: ${name}
interceptors:
  - use: message-bus
    with:
      url: \${BUS_URL}
      exchange: ${exchange}
      reconnect: { initialDelayMs: 200, maxDelayMs: 1000 }
  - use: ./dep-kit.ts
controllers:
  - ./controller.ts
worker:
  prefetch: 10
`,
      'dep-kit.ts': KIT,
      'controller.ts': CONTROLLER,
    });
    journalFile = path.join(dir, 'journal.jsonl');
    writeFileSync(journalFile, '');
    host = await spawnHost(path.join(dir, 'service.yaml'), { env: { BUS_URL: busUrl(), JOURNAL: journalFile, LOG_LEVEL: 'warn' } });
  });
  after(async () => {
    await host?.stop();
    if (name) await cleanup(name, exchange);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test(`${label}: Unrecoverable dead-letters at once, with its reason`, async () => {
    await send({ id: 'u1', mode: 'unrecoverable' });
    const letter = await waitForDeadLetter('u1');
    assert.match(String(letter.error), /customer u1 does not exist/);
    assert.equal(letter.attempts, 1);
    assert.deepEqual(of(journal(), 'handle', 'u1').map((l) => l.attempt), [1]);
  });

  test(`${label}: ctx.deadLetter(reason) dead-letters at once`, async () => {
    await send({ id: 'cd1', mode: 'ctx-dead' });
    const letter = await waitForDeadLetter('cd1');
    assert.match(String(letter.error), /refused by the handler/);
    assert.deepEqual(of(journal(), 'handle', 'cd1').map((l) => l.attempt), [1]);
  });

  test(`${label}: ctx.retryLater(ms) redelivers it later, as the next attempt`, async () => {
    await send({ id: 'rl1', mode: 'retry-later' });
    const lines = await waitFor('rl1 done', (l) => of(l, 'done', 'rl1').length === 1);
    assert.deepEqual(of(lines, 'handle', 'rl1').map((l) => l.attempt), [1, 2]);
  });

  test(`${label}: a forged x-jrr-attempt: 999 counts as the first attempt: every retry still happens`, async () => {
    await send({ id: 'f1', mode: 'fail', headers: { 'x-jrr-attempt': 999 } });
    const letter = await waitForDeadLetter('f1');
    assert.deepEqual(of(journal(), 'handle', 'f1').map((l) => l.attempt), [1, 2, 3]);
    assert.equal(letter.attempts, 3);
    // The in-process broker counts attempts itself and never reads the header.
    if (label === 'amqp') assert.ok(host.logs().some((l) => l.code === 'JRR_ATTEMPT_FORGED'), 'the forged header is logged');
  });

  test(`${label}: while a dependency is not ready the worker pauses: nothing dead-lettered, all handled once it is back`, async () => {
    await http('POST', `${host.url}/kit/dependency`, { up: false });
    await send({ id: 'dep', mode: 'needs-dependency', n: 30 });
    await new Promise((r) => setTimeout(r, 1500)); // the outage: longer than the whole retry policy
    const ready = await fetch(`${host.url}/health/ready`);
    assert.equal(ready.status, 503, 'not ready while the dependency is down');
    await http('POST', `${host.url}/kit/dependency`, { up: true });
    const lines = await waitFor('30 done', (l) => new Set(l.filter((x) => x.type === 'done' && x.id.startsWith('dep-')).map((x) => x.id)).size === 30);
    assert.equal((await deadLetters()).filter((d) => JSON.parse(d.body).id.startsWith('dep-')).length, 0, 'nothing dead-lettered');
    // No attempt burnt by the outage: each message was done on its first attempt.
    assert.ok(lines.filter((x) => x.type === 'done' && x.id.startsWith('dep-')).every((x) => x.attempt === 1));
  });
}
