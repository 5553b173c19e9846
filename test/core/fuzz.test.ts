// Property-based fuzzing (fast-check) of what reads untrusted or hand-written input: the
// declaration loader, the list-query parser, message decoding and the redaction of secrets.
// Each must either succeed or throw a JararacaError (never a TypeError from deep inside), in
// bounded time.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { parseDeclaration } from '../../host/core/declaration.ts';
import { JararacaError } from '../../host/core/errors.ts';
import { redactUrl } from '../../host/core/logger.ts';
import { decodeMessage } from '../../host/roles/worker/decode.ts';
import { defineMessage } from '../../host/roles/worker/messages.ts';
import { parseListQuery } from '../../plugins/knex-session/list-query.ts';

const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
// Generous per input (a loaded CI machine): the bound catches a hang or a quadratic blow-up, not slowness.
const BOUND_MS = 2000;

/** Runs fn; a throw must be a JararacaError. Returns how long it took. */
function onlyJararacaErrors(fn: () => unknown): number {
  const started = performance.now();
  try {
    fn();
  } catch (err) {
    if (!(err instanceof JararacaError)) throw new Error(`threw ${(err as Error)?.constructor?.name}: ${(err as Error)?.message}`, { cause: err });
  }
  return performance.now() - started;
}

// Keys a user or attacker may send: prototype names, operators, brackets, odd Unicode.
const queryKey = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', 'page', 'pageSize', 'sort', 'status', 'title', 'createdAt', 'n'),
  fc.tuple(fc.constantFrom('status', 'title', 'createdAt', 'n', 'toString', '__proto__'), fc.constantFrom('eq', 'ne', 'lt', 'gte', 'in', 'contains', 'startsWith', 'isNull', 'regex', '', 'constructor')).map(([f, op]) => `${f}[${op}]`),
  fc.string({ unit: 'binary', maxLength: 20 }),
);
const queryValue = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.constantFrom('', '\u0000', 'a\ud800', '99999-01-01', '-271821-04-20', '2024-05-01', 'NaN', 'Infinity', '1e400', 'true', 'pending,done', ',,,', 'x'.repeat(500)),
  fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
);

test('parseListQuery: any query string is a result or a JararacaError (400), in bounded time', () => {
  const options = { filterable: { status: { enum: ['pending', 'done'] }, title: 'string', createdAt: 'date', n: 'integer' }, sortable: ['createdAt', 'title'], defaultSort: '-createdAt' } as const;
  fc.assert(
    fc.property(fc.dictionary(queryKey, queryValue, { maxKeys: 8 }), (query) => {
      // As Fastify hands it over: a null-prototype object.
      const q = Object.assign(Object.create(null) as Record<string, unknown>, query);
      assert.ok(onlyJararacaErrors(() => parseListQuery(q, options)) < BOUND_MS);
    }),
    { numRuns: RUNS * 3 },
  );
});

const Order = defineMessage({
  name: 'FuzzOrder',
  topic: 'fuzz.order',
  kind: 'event',
  schema: { type: 'object', additionalProperties: false, required: ['id'], properties: { id: { type: 'string', maxLength: 50 }, qty: { type: 'integer' }, tags: { type: 'array', items: { type: 'string' } } } } as const,
});

test('decodeMessage: any body and content type is a payload or a JararacaError (poison), in bounded time', () => {
  const body = fc.oneof(
    fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
    fc.jsonValue({ maxDepth: 4 }).map((v) => Buffer.from(JSON.stringify(v) ?? '')),
    fc.record({ id: fc.string({ unit: 'binary' }), qty: fc.oneof(fc.integer(), fc.double(), fc.string()) }, { requiredKeys: [] }).map((v) => Buffer.from(JSON.stringify(v))),
    fc.string({ unit: 'binary' }).map((s) => Buffer.from(s)),
  );
  const contentType = fc.option(fc.oneof(fc.constantFrom('application/json', 'application/json; charset=utf-8', 'application/json; charset=utf-16', 'text/plain', 'application/vnd.x+json', ''), fc.string({ maxLength: 40 })), { nil: undefined });
  decodeMessage(Order, Buffer.from('{"id":"warm"}')); // compiles the schema once, outside the bound
  fc.assert(
    fc.property(body, contentType, (b, type) => {
      assert.ok(onlyJararacaErrors(() => decodeMessage(Order, b, type)) < BOUND_MS);
    }),
    { numRuns: RUNS * 3 },
  );
});

test('parseDeclaration: any YAML text or document is a declaration or a DeclarationError listing problems, in bounded time', () => {
  const text = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 300 }),
    fc.jsonValue({ maxDepth: 5 }).map((v) => stringify(v)),
    // Near-valid declarations: a name, then random values in the known sections.
    fc
      .record({
        name: fc.oneof(fc.constant('svc'), fc.string({ maxLength: 10 })),
        interceptors: fc.array(fc.oneof(fc.record({ use: fc.constantFrom('config', 'knex-session', 'message-bus', '__proto__'), with: fc.jsonValue({ maxDepth: 2 }) }), fc.jsonValue({ maxDepth: 2 })), { maxLength: 3 }),
        http: fc.oneof(fc.record({ port: fc.oneof(fc.integer(), fc.string()), requestTimeoutMs: fc.integer() }), fc.jsonValue({ maxDepth: 2 })),
        scheduler: fc.jsonValue({ maxDepth: 2 }),
        logging: fc.oneof(fc.record({ level: fc.string(), redact: fc.array(fc.string()) }), fc.jsonValue({ maxDepth: 2 })),
        config: fc.jsonValue({ maxDepth: 3 }),
      }, { requiredKeys: [] })
      .map((v) => stringify(v)),
    fc.string({ maxLength: 50 }).map((s) => `name: svc\nconfig:\n  a: \${${s}}\n`),
    fc.constantFrom('a: &a [*a]', '&a a: *a', '!!js/function "x"', 'name: svc\n<<: {x: 1}', '- - - -', '{', ': :', '\t\tname: x', '\ufeffname: x'),
  );
  fc.assert(
    fc.property(text, (t) => {
      assert.ok(onlyJararacaErrors(() => parseDeclaration(t, 'service.yaml', { A: 'x' }).throwIfProblems()) < BOUND_MS);
    }),
    { numRuns: RUNS },
  );
});

test('redactUrl: never throws, runs in linear time, and no password of a generated URL survives', () => {
  const secret = fc.stringMatching(/^[A-Za-z0-9@:!%*+~_-]{6,20}$/).map((s) => `S3cr${s}`);
  const scheme = fc.constantFrom('postgres', 'postgresql', 'amqp', 'amqps', 'redis', 'rediss', 'https');
  const url = fc.tuple(scheme, fc.constantFrom('u', 'user.name', ''), secret, fc.constantFrom('db.internal', '127.0.0.1:5432', 'h'), fc.constantFrom('', '/db', '/%2F')).chain(([s, user, pw, host, p]) =>
    fc.constantFrom(
      { text: `${s}://${user}:${pw}@${host}${p}`, pw },
      { text: `${s}://${host}${p}?user=u&password=${encodeURIComponent(pw)}`, pw: encodeURIComponent(pw) },
      { text: `${s}://${host}${p}?sslmode=require&token=${encodeURIComponent(pw)}&x=1`, pw: encodeURIComponent(pw) },
      { text: `${s}://${host}?secret=${encodeURIComponent(pw)}`, pw: encodeURIComponent(pw) },
      { text: `host=${host} pwd=${encodeURIComponent(pw)} user=u`, pw: encodeURIComponent(pw) },
    ),
  );
  const around = fc.string({ maxLength: 30 }).map((s) => s.replace(/[A-Za-z0-9@:!%*+~_-]+$/, ''));
  fc.assert(
    fc.property(around, url, fc.constantFrom(' ', '\n', '"', ', '), (before, { text, pw }, sep) => {
      const line = `${before}${sep}${text}${sep}done`;
      const out = redactUrl(line);
      assert.ok(!out.includes(pw), `${JSON.stringify(line)} → ${JSON.stringify(out)}`);
      assert.ok(!redactUrl(JSON.stringify({ msg: line })).includes(pw));
    }),
    { numRuns: RUNS * 3 },
  );
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 2000 }), (s) => {
      redactUrl(s);
    }),
    { numRuns: RUNS },
  );
  // Long runs that once made the userinfo pattern quadratic: must stay well under a second.
  const started = performance.now();
  redactUrl('token ' + 'x'.repeat(2_000_000) + ' ' + 'a:'.repeat(200_000) + ',pass'.repeat(100_000));
  assert.ok(performance.now() - started < 5 * BOUND_MS);
});
