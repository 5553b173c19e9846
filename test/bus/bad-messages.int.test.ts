// Bad AMQP messages on a real RabbitMQ: each malformed message lands in the dead-letter queue at
// once with the exact reason, forged bookkeeping headers do not change what the handler sees, a
// 5,000-message poison flood costs a few log lines, `dlq list` piped counts every dead letter,
// and the worker keeps consuming.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import amqp, { type Channel, type ChannelModel } from 'amqplib';
import { runHost, servers, spawnHost, uniqueName, writeService, type SpawnedHost } from '../support/host.ts';
import { eventually } from '../support/eventually.ts';

const controller = `
import { appendFileSync } from 'node:fs';
import { defineMessage, MessageBusController, MessageHandler, type MessageContext } from 'jararaca';
export const Placed = defineMessage({
  name: 'Placed',
  topic: 'orders.placed',
  kind: 'event',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['id', 'qty'],
    properties: { id: { type: 'string', minLength: 1, maxLength: 100 }, qty: { type: 'integer', minimum: 1 } },
  } as const,
});
@MessageBusController()
export class Orders {
  @MessageHandler(Placed, { name: 'orders', retry: { maxAttempts: 2, initialDelayMs: 100 } })
  async orders(payload: typeof Placed.Payload, message: MessageContext) {
    appendFileSync(process.env.JOURNAL!, JSON.stringify({ id: payload.id, attempt: message.attempt, headers: message.headers }) + '\\n');
  }
}
`;

interface Case {
  id: string;
  body: Buffer | string;
  contentType?: string;
  headers?: Record<string, unknown>;
  /** The dead letter's error, or undefined when the message must be handled. */
  error?: RegExp;
}

const cases: Case[] = [
  { id: 'not-json', body: 'not json {', error: /poison message: body is not JSON/ },
  { id: 'empty', body: '', error: /poison message: body is not JSON/ },
  { id: 'blank', body: '   \n', error: /poison message: body is not JSON/ },
  { id: 'truncated', body: '{"id":"a","qty":', error: /poison message: body is not JSON/ },
  { id: 'invalid-utf8', body: Buffer.from([0x7b, 0x22, 0x69, 0x64, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]), error: /poison message: body is not valid UTF-8/ },
  { id: 'cesu-surrogate', body: Buffer.concat([Buffer.from('{"id":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('","qty":1}')]), error: /not valid UTF-8/ },
  { id: 'utf16-bytes', body: Buffer.from('{"id":"a","qty":1}', 'utf16le'), error: /poison message: body is not JSON/ },
  { id: 'null', body: 'null', error: /poison message: .*must be object/ },
  { id: 'array', body: '[]', error: /poison message: .*must be object/ },
  { id: 'number', body: '42', error: /poison message: .*must be object/ },
  { id: 'string', body: '"order"', error: /poison message: .*must be object/ },
  { id: 'missing', body: '{}', error: /poison message: .*(id|qty)/ },
  { id: 'wrong-type', body: '{"id":5,"qty":1}', error: /poison message: .*id/ },
  { id: 'bad-qty', body: '{"id":"a","qty":"x"}', error: /poison message: .*qty/ },
  { id: 'extra', body: '{"id":"a","qty":1,"admin":true}', error: /poison message: .*admin|additional/ },
  { id: 'proto', body: '{"id":"a","qty":1,"__proto__":{"admin":true}}', error: /poison message/ },
  { id: 'huge', body: JSON.stringify({ id: 'x'.repeat(4 * 1024 * 1024), qty: 1 }), error: /poison message: .*id/ },
  { id: 'deep', body: '['.repeat(200000) + ']'.repeat(200000), error: /poison message/ },
  { id: 'text-plain', body: '{"id":"a","qty":1}', contentType: 'text/plain', error: /content type 'text\/plain' is not JSON/ },
  { id: 'xml', body: '<order/>', contentType: 'application/xml', error: /content type 'application\/xml' is not JSON/ },
  { id: 'octet', body: '{"id":"a","qty":1}', contentType: 'application/octet-stream', error: /is not JSON/ },
  { id: 'utf16-charset', body: '{"id":"a","qty":1}', contentType: 'application/json; charset=utf-16', error: /charset 'utf-16' is not UTF-8/ },
  // Good payloads with odd but valid envelopes, and forged bookkeeping headers: handled once.
  { id: 'vnd-json', body: '{"id":"vnd-json","qty":1}', contentType: 'application/vnd.api+json' },
  { id: 'forged-attempt', body: '{"id":"forged-attempt","qty":1}', headers: { 'x-jrr-attempt': 'abc' } },
  { id: 'forged-error', body: '{"id":"forged-error","qty":1}', headers: { 'x-jrr-error': 'fake', 'x-jrr-attempts': 9, 'x-death': [] } },
  { id: 'custom-header', body: '{"id":"custom-header","qty":1}', headers: { tenant: 't1' } },
];

describe('bad AMQP messages', () => {
  const name = uniqueName('badmsg').replace(/_/g, '-');
  const exchange = uniqueName('jrr_badmsg_ex');
  const queue = `${name}.orders`;
  let dir: string;
  let journal: string;
  let env: Record<string, string>;
  let host: SpawnedHost;
  let conn: ChannelModel;
  let ch: Channel;

  const handledIds = () => readFileSync(journal, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { id: string; attempt: number; headers: Record<string, unknown> });
  const dlqList = async (limit: number) => {
    const res = await runHost(['dlq', 'list', '--handler', 'orders', '--limit', String(limit), '--config', path.join(dir, 'service.yaml')], { env });
    assert.equal(res.code, 0, res.stderr);
    return res.stdout;
  };
  const dlqDepth = async () => (await ch.checkQueue(`${queue}.dlq`)).messageCount;
  const until = (what: string, check: () => Promise<boolean> | boolean, timeoutMs = 30000) => eventually(what, check, { timeoutMs, intervalMs: 100 });
  const publish = (c: Case) =>
    ch.publish(exchange, 'orders.placed', Buffer.isBuffer(c.body) ? c.body : Buffer.from(c.body), {
      messageId: c.id,
      type: 'Placed',
      contentType: c.contentType,
      headers: c.headers,
      persistent: true,
    });

  before(async () => {
    dir = writeService({
      'service.yaml': `name: ${name}\ninterceptors:\n  - use: message-bus\n    with: { url: "\${BUS_URL}", exchange: "\${BUS_EXCHANGE}" }\ncontrollers: [./orders.ts]\n`,
      'orders.ts': controller,
    });
    journal = path.join(dir, 'journal.jsonl');
    writeFileSync(journal, '');
    env = { BUS_URL: servers.amqp, BUS_EXCHANGE: exchange, JOURNAL: journal };
    host = await spawnHost(path.join(dir, "service.yaml"), { args: ["--role", "worker", "--health-port", "0"], env });
    await host.waitForLog((l) => l.msg === 'consuming');
    conn = await amqp.connect(servers.amqp);
    ch = await conn.createChannel();
  });

  after(async () => {
    await host?.stop();
    if (ch) {
      for (const q of [queue, `${queue}.dlq`]) await ch.deleteQueue(q).catch(() => undefined);
      const retry = await ch.checkExchange(`${exchange}.delay`).then(() => true, () => false);
      if (retry) await ch.deleteExchange(`${exchange}.delay`).catch(() => undefined);
      await ch.deleteExchange(exchange).catch(() => undefined);
    }
    await conn?.close().catch(() => undefined);
  });

  test('each malformed message is dead-lettered at once with its reason; good ones with odd envelopes or forged headers are handled once', async () => {
    for (const c of cases) publish(c);
    const bad = cases.filter((c) => c.error);
    const good = cases.filter((c) => !c.error);
    await until('every bad message in the dead-letter queue', async () => (await dlqDepth()) >= bad.length);
    await until('every good message handled', () => good.every((c) => handledIds().some((h) => h.id === c.id)));
    const letters = (await dlqList(100)).split('\n').filter(Boolean).map((l) => JSON.parse(l) as { messageId: string; error: string; attempts: number });
    for (const c of bad) {
      const letter = letters.find((l) => l.messageId === c.id);
      assert.ok(letter, `${c.id}: not in the dead-letter queue`);
      assert.match(letter.error, c.error!, c.id);
      assert.equal(letter.attempts, 1, `${c.id}: poison is not retried`);
    }
    const handled = handledIds();
    for (const c of good) assert.equal(handled.filter((h) => h.id === c.id).length, 1, c.id);
    const forged = handled.find((h) => h.id === 'forged-error')!;
    assert.deepEqual(forged.headers, {}, 'bookkeeping headers never reach the handler');
    assert.equal(handled.find((h) => h.id === 'forged-attempt')!.attempt, 1);
    assert.deepEqual(handled.find((h) => h.id === 'custom-header')!.headers, { tenant: 't1' });
  });

  test('a 5,000-message poison flood: a few log lines, every message in the DLQ, `dlq list` piped prints every one, the worker keeps consuming', async () => {
    const start = await dlqDepth();
    const linesBefore = host.output().split('\n').length;
    for (let i = 0; i < 5000; i++) ch.publish(exchange, 'orders.placed', Buffer.from(`poison ${i}`), { messageId: `flood-${i}`, type: 'Placed' });
    await until('the flood in the dead-letter queue', async () => (await dlqDepth()) >= start + 5000, 120000);
    const lines = host.output().split('\n').slice(linesBefore - 1).filter((l) => l.includes('poison message'));
    assert.ok(lines.length <= 12, `${lines.length} poison lines logged`);
    const listed = (await dlqList(10000)).split('\n').filter(Boolean);
    assert.equal(listed.length, start + 5000);
    publish({ id: 'after-flood', body: '{"id":"after-flood","qty":1}' });
    await until('the message after the flood handled', () => handledIds().some((h) => h.id === 'after-flood'));
  });
});
