// Bad input, as a new user (or an attacker) would send it to the tasks example: each request gets
// its exact 4xx with a message naming what is wrong, never a 500, and the process keeps serving.
// Runs on the embedded engines (PGlite, in-process broker).
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Host } from '../../host/host.ts';
import { buildHttpServer } from '../../host/roles/http/server.ts';
import { http, repoRoot, spawnHost, writeService, type SpawnedHost } from '../support/host.ts';

const example = path.join(repoRoot, 'examples/tasks');
const embedded = { DATABASE_URL: undefined, AMQP_URL: undefined, REDIS_URL: undefined };

// The tasks example's modules, with short HTTP timeouts so the slow-client cases finish quickly.
function tasksService(extra = ''): string {
  const rel = (p: string) => path.relative(path.join(repoRoot, '.tmp', 'x'), path.join(example, p));
  return `
name: tasks
config: { greeting: hello }
interceptors:
  - use: config
  - use: ${rel('api-key.plugin.ts')}
  - use: message-bus
    with: { url: "memory://" }
  - use: websocket
    with: { url: "memory://" }
  - use: knex-session
    with:
      url: pglite://memory
      migrations: { directory: ${rel('migrations')}, auto: true }
providers:
  tasks: { class: ${rel('task-store.ts')}#TaskRepository }
  clock: { factory: ${rel('task-store.ts')}#systemClock }
controllers:
  - ${rel('tasks.controller.ts')}
  - ${rel('messages.ts')}
  - ${rel('live.ts')}
http:
  requestTimeoutMs: 1500
  headersTimeoutMs: 1000
${extra}`;
}

/** Sends raw bytes; resolves with the status (0 when the server closed without answering) and how long it took. */
function raw(port: number, bytes: Buffer | string, options: { endAfterWrite?: boolean; timeoutMs?: number } = {}): Promise<{ status: number; text: string; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), text, closed: false });
    }, options.timeoutMs ?? 10000);
    socket.on('data', (d) => (text += d.toString('latin1')));
    socket.on('error', (err) => (text ? undefined : reject(err)));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), text, closed: true });
    });
    socket.write(bytes);
    if (options.endAfterWrite) socket.end();
  });
}

async function post(url: string, body: string | Buffer, contentType = 'application/json'): Promise<{ status: number; body: any }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': contentType }, body: typeof body === 'string' ? body : new Uint8Array(body) });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, body: parsed };
}

// [query string, field the message names]
const badQueries: Array<[string, RegExp]> = [
  ['toString=x', /'toString'/],
  ['__proto__=x', /'__proto__'/],
  ['constructor=x', /'constructor'/],
  ['valueOf=x', /'valueOf'/],
  ['hasOwnProperty=x', /'hasOwnProperty'/],
  ['isPrototypeOf[eq]=x', /'isPrototypeOf\[eq\]'/],
  ['constructor[eq]=x', /'constructor\[eq\]'/],
  ['prototype=x', /'prototype'/],
  ['__defineGetter__=x', /'__defineGetter__'/],
  ['status=%00', /'status'/],
  ['status[eq]=%00', /'status'/],
  ['title[contains]=%00', /'title'/],
  ['title[startsWith]=a%00b', /'title'/],
  ['title=a%00', /'title'/],
  ['createdAt[gte]=99999-01-01', /'createdAt'.*out of range/],
  ['createdAt[lt]=0000-01-01', /'createdAt'.*out of range/],
  ['createdAt[gte]=-271821-04-20', /'createdAt'/],
  ['createdAt[gte]=yesterday', /'createdAt'.*not a date/],
  ['createdAt[contains]=2024', /'createdAt'/],
  ['status=weird', /'status'.*pending, done/],
  ['status[in]=pending,weird', /'status'.*weird/],
  ['status[ne]=DONE', /'status'/],
  ['status[contains]=do', /'status'/],
  ['status[in]=', /'status\[in\]'/],
  ['title[regex]=.*', /'regex'/],
  ['title[isNull]=maybe', /'title\[isNull\]'/],
  ['title[eq][eq]=x', /'title\[eq\]\[eq\]'/],
  ['status=done&status=pending', /'status'.*2 times/],
  ['page=0', /'page'/],
  ['page=abc', /'page'/],
  ['page=1.5', /'page'/],
  ['page=1&page=2', /'page'/],
  ['pageSize=1000', /'pageSize'/],
  ['pageSize=-1', /'pageSize'/],
  ['sort=password', /'password'/],
  ['sort=__proto__', /'__proto__'/],
  ['sort=-toString', /'toString'/],
  [`${'k'.repeat(3000)}=1`, /unknown query parameter 'kkkk/],
];

describe('bad HTTP input to the tasks example', () => {
  let host: SpawnedHost;
  before(async () => {
    host = await spawnHost(path.join(writeService({ 'service.yaml': tasksService() }), 'service.yaml'), { args: ['--role', 'http'], env: embedded });
  });
  after(async () => {
    assert.equal(await host.stop(), 0);
  });

  test('query strings: prototype keys, NUL, out-of-range dates, values outside the enum, bad operators and pages are 400s naming the field', async () => {
    for (const [query, field] of badQueries) {
      const res = await http('GET', `${host.url}/tasks?${query.replace(/\[/g, '%5B').replace(/\]/g, '%5D')}`);
      assert.equal(res.status, 400, `${query}: ${JSON.stringify(res.body)}`);
      assert.match(res.body.message, field, query);
    }
    assert.equal((await http('GET', `${host.url}/tasks?status=done&createdAt[gte]=2024-01-01`)).status, 200);
  });

  test('path parameters: not a UUID, NUL, bad percent-encoding', async () => {
    for (const [p, status] of [['/tasks/not-a-uuid', 400], ['/tasks/%00', 400], ['/tasks/%zz', 400], ['/tasks/00000000-0000-4000-8000-00000000000%00', 400]] as const) {
      const res = await http('GET', `${host.url}${p}`);
      assert.equal(res.status, status, `${p}: ${JSON.stringify(res.body)}`);
    }
  });

  test('bodies: NUL, lone surrogates, invalid UTF-8, other charsets, prototype poisoning, wrong shapes and sizes', async () => {
    const url = `${host.url}/tasks`;
    const cases: Array<[string, string | Buffer, string, number, RegExp?]> = [
      ['NUL in a string', '{"title":"a\\u0000b"}', 'application/json', 400, /title/],
      ['raw NUL byte', Buffer.from('{"title":"a\u0000b"}'), 'application/json', 400],
      ['lone high surrogate', '{"title":"a\\ud800b"}', 'application/json', 400, /title/],
      ['lone low surrogate', '{"title":"a\\udc00b"}', 'application/json', 400, /title/],
      ['swapped surrogates', '{"title":"\\udc00\\ud800"}', 'application/json', 400, /title/],
      ['NUL in a key', '{"title":"x","a\\u0000":1}', 'application/json', 400],
      ['duplicate key hiding a NUL', '{"title":"a","title":"\\u0000"}', 'application/json', 400, /title/],
      ['invalid UTF-8 (0xff)', Buffer.from([0x7b, 0x22, 0x74, 0x69, 0x74, 0x6c, 0x65, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]), 'application/json', 400, /UTF-8/],
      ['overlong UTF-8', Buffer.concat([Buffer.from('{"title":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')]), 'application/json', 400, /UTF-8/],
      ['UTF-8 encoded surrogate (CESU)', Buffer.concat([Buffer.from('{"title":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')]), 'application/json', 400, /UTF-8/],
      ['truncated UTF-8', Buffer.concat([Buffer.from('{"title":"'), Buffer.from([0xe2, 0x82]), Buffer.from('"}')]), 'application/json', 400, /UTF-8/],
      ['charset=utf-16', Buffer.from('{"title":"ab"}', 'utf16le'), 'application/json; charset=utf-16', 415, /utf-16/],
      ['charset=latin1', '{"title":"ab"}', 'application/json; charset=latin1', 415, /latin1/],
      ['charset=iso-8859-1 quoted', '{"title":"ab"}', 'application/json; charset="iso-8859-1"', 415],
      ['not JSON', '{title:', 'application/json', 400],
      ['empty body', '', 'application/json', 400],
      ['__proto__ key', '{"title":"a","__proto__":{"admin":true}}', 'application/json', 400],
      ['constructor.prototype', '{"title":"a","constructor":{"prototype":{"admin":true}}}', 'application/json', 400],
      ['title a number', '{"title":42}', 'application/json', 400, /title/],
      ['title empty', '{"title":""}', 'application/json', 400, /title/],
      ['title too long', JSON.stringify({ title: 'x'.repeat(201) }), 'application/json', 400, /title/],
      ['title missing', '{}', 'application/json', 400, /title/],
      ['extra property', '{"title":"a","status":"done"}', 'application/json', 400],
      ['an array', '[]', 'application/json', 400],
      ['null', 'null', 'application/json', 400],
      ['a string', '"title"', 'application/json', 400],
      ['number overflow', '{"title":1e999}', 'application/json', 400, /title/],
      ['deep nesting', '['.repeat(5000) + ']'.repeat(5000), 'application/json', 400],
      ['too large', JSON.stringify({ title: 'x'.repeat(2 * 1024 * 1024) }), 'application/json', 413],
      ['text/plain (parsed as a string: not an object)', 'title=a', 'text/plain', 400, /body must be object/],
      ['form-encoded', 'title=a', 'application/x-www-form-urlencoded', 415],
      ['xml', '<title>a</title>', 'application/xml', 415],
    ];
    for (const [what, body, type, status, message] of cases) {
      const res = await post(url, body, type);
      assert.equal(res.status, status, `${what}: ${JSON.stringify(res.body).slice(0, 300)}`);
      if (message) assert.match(res.body.message, message, what);
    }
    const hello = await post(`${host.url}/tasks/hello`, '{"name":"\\u0000"}');
    assert.equal(hello.status, 400);
    assert.match(hello.body.message, /name/);
    // Valid text outside the BMP (a surrogate pair) is kept as sent.
    const ok = await post(url, '{"title":"ok \\ud83d\\ude00"}');
    assert.equal(ok.status, 201);
    assert.equal(ok.body.title, 'ok 😀');
  });

  test('x-request-id: a short token is kept; too long, non-ASCII or empty is replaced by a UUID', async () => {
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
    assert.equal((await http('GET', `${host.url}/health/live`, undefined, { 'x-request-id': 'abc-123' })).headers.get('x-request-id'), 'abc-123');
    for (const id of ['x'.repeat(300), 'a b', '"><script>', '']) {
      const res = await http('GET', `${host.url}/health/live`, undefined, { 'x-request-id': id });
      assert.match(res.headers.get('x-request-id') ?? '', uuid, JSON.stringify(id));
    }
    const binary = await raw(host.port, Buffer.concat([Buffer.from('GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\nx-request-id: '), Buffer.from([0xc3, 0xa9, 0x01]), Buffer.from('\r\n\r\n')]));
    assert.ok(binary.status === 400 || /x-request-id: [0-9a-f-]{36}\r\n/i.test(binary.text), binary.text);
  });

  test('malformed HTTP: bad header lines, lengths, methods and sizes are 4xx from the parser', async () => {
    const cases: Array<[string, string | Buffer, number]> = [
      ['header without a colon', 'GET /tasks HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n', 400],
      ['invalid Content-Length', 'POST /tasks HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: abc\r\n\r\n{}', 400],
      ['Content-Length and chunked', 'POST /tasks HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400],
      ['two Content-Lengths', 'POST /tasks HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}', 400],
      ['bad chunk size', 'POST /tasks HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n', 400],
      ['headers too large', `GET /tasks HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20000)}\r\n\r\n`, 431],
      ['no Host header', 'GET /tasks HTTP/1.1\r\n\r\n', 400],
      ['unknown method', 'BREW /tasks HTTP/1.1\r\nHost: x\r\n\r\n', 400],
      ['garbage request line', Buffer.from([0x00, 0x01, 0x02, 0x0d, 0x0a, 0x0d, 0x0a]), 400],
      ['HTTP/2 preface on HTTP/1', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 400],
      ['control character in a header value', 'GET /tasks HTTP/1.1\r\nHost: x\r\nX-A: a\u0001b\r\n\r\n', 400],
      ['space before the colon', 'GET /tasks HTTP/1.1\r\nHost: x\r\nX-A : b\r\n\r\n', 400],
    ];
    for (const [what, bytes, status] of cases) {
      const res = await raw(host.port, bytes);
      assert.equal(res.status, status, `${what}: ${res.text.slice(0, 200)}`);
    }
    for (const [method, p, status] of [['DELETE', '/tasks', 404], ['GET', '/nope', 404], ['PUT', '/tasks/hello', 404]] as const) {
      assert.equal((await http(method, `${host.url}${p}`)).status, status, `${method} ${p}`);
    }
  });

  test('a slow body or slow headers are cut within the configured timeouts (requestTimeoutMs, headersTimeoutMs)', async () => {
    // Content-Length 100, then 13 bytes, then nothing: closed (408) within requestTimeoutMs 1500 (+ the 1 s check).
    const started = Date.now();
    const body = await raw(host.port, 'POST /tasks HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"title":"abc', { timeoutMs: 10000 });
    assert.ok(body.closed, 'the slow-body connection was still open after 10 s');
    assert.ok(body.status === 408 || body.status === 0, body.text);
    const headers = await raw(host.port, 'GET /tasks HTTP/1.1\r\nHost: x\r\nX-Slow: ', { timeoutMs: 10000 });
    assert.ok(headers.closed, 'the slow-headers connection was still open after 10 s');
    assert.ok(headers.status === 408 || headers.status === 0, headers.text);
    assert.ok(Date.now() - started < 15000);
  });

  test('after all of it the process still serves, logged no unhandled error, and answered no 500', async () => {
    assert.equal((await http('GET', `${host.url}/health/ready`)).status, 200);
    const created = await http('POST', `${host.url}/tasks`, { title: 'still here' });
    assert.equal(created.status, 201);
    assert.equal((await http('GET', `${host.url}/tasks/${created.body.id}`)).status, 200);
    assert.doesNotMatch(host.output(), /unhandled error in request|"statusCode":500/);
  });
});

describe('HTTP timeouts by default', () => {
  test('requestTimeout 30 s, headersTimeout 10 s, keepAliveTimeout 72 s, checked every second', async () => {
    const dir = writeService({ 'service.yaml': 'name: t\n' });
    const host = await Host.load({ config: path.join(dir, 'service.yaml'), roles: [] });
    const app = await buildHttpServer(host);
    try {
      assert.equal(app.server.requestTimeout, 30000);
      assert.equal(app.server.headersTimeout, 10000);
      assert.equal(app.server.keepAliveTimeout, 72000);
    } finally {
      await app.close();
      await host.stop();
    }
  });
});

describe('withNewSession() when the pool is exhausted (PGlite: one connection)', () => {
  let host: SpawnedHost;
  before(async () => {
    const dir = writeService({
      'service.yaml': `
name: pool
interceptors:
  - use: knex-session
    with: { url: pglite://memory, pool: { acquireTimeoutMs: 300 } }
controllers: [./nested.ts]
`,
      'nested.ts': `
import { Get, RestController } from 'jararaca';
import { useSession, withNewSession } from 'jararaca/knex-session';
@RestController('/')
export class Nested {
  @Get('/nested') async nested() {
    await useSession().raw('select 1');
    return withNewSession(async (trx) => (await trx.raw('select 2 as n')).rows);
  }
}
`,
    });
    host = await spawnHost(path.join(dir, 'service.yaml'));
  });
  after(async () => {
    await host.stop();
  });

  test('is a 503 JRR_DB_POOL_TIMEOUT, and the service stays ready: the database is not "lost"', async () => {
    const res = await http('GET', `${host.url}/nested`);
    assert.equal(res.status, 503);
    assert.equal(res.body.code, 'JRR_DB_POOL_TIMEOUT');
    const ready = await http('GET', `${host.url}/health/ready`);
    assert.equal(ready.status, 200, JSON.stringify(ready.body));
    assert.doesNotMatch(host.output(), /lost the database/);
  });
});
