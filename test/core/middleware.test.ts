// @UseMiddleware / @UseGuard and @DomainError, against a real jararaca-host running every role
// in one process on the in-process engines (memory:// broker and WebSocket fan-out): the order
// of the layers, short-circuits, outcomes, DI in the execution's scope, what a guard's false
// does in each role, domain errors mapped to statuses, start-up and validate.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { WebSocket } from 'ws';
import { http, repoRoot, runHost, spawnHost, writeService, type SpawnedHost } from '../support/host.ts';

// What every layer records, in the spawned process; GET /journal reads it, DELETE /journal clears it.
const journal = `
export const events = (globalThis.__mwEvents ??= []);
// Scheduled actions fire every second: they record apart, so they never interleave with the rest.
export const sched = (globalThis.__mwSched ??= []);
export const record = (label, events = globalThis.__mwEvents) => async (execution, next) => {
  events.push(label + ':before');
  try {
    const value = await next();
    events.push(label + ':after:ok');
    return value;
  } catch (err) {
    events.push(label + ':after:error:' + err.message);
    throw err;
  }
};
`;

const recorderPlugin = `
import { definePlugin } from 'jararaca';
import { record } from './journal.ts';
export default definePlugin({
  name: 'recorder',
  setup() {
    const layer = record('interceptor');
    return { intercept: (execution, next) => (execution.handler.name.startsWith('Journal') || execution.kind === 'scheduled' ? next() : layer(execution, next)) };
  },
});
`;

const controllers = `
import { asValue } from 'awilix';
import { Delete, DomainError, Get, HttpError, MessageBusController, MessageHandler, RestController, ScheduledAction, UseGuard, UseMiddleware, defineMessage, useContainer, useExecution } from 'jararaca';
import { usePublisher } from 'jararaca/message-bus';
import { OnConnect, OnMessage, WebSocketEndpoint } from 'jararaca/websocket';
import { events, record, sched } from './journal.ts';

@DomainError({ status: 404, retry: false })
export class ThingNotFound extends Error {}
export class SpecialThingNotFound extends ThingNotFound {}
@DomainError({ status: 409, code: 'THING_TAKEN' })
export class ThingTaken extends Error {
  details = { field: 'name' };
}

// A middleware class built per execution from its scope: it gets a provider injected, and
// registers a value the handler resolves from the same scope.
export class WhoMiddleware {
  constructor({ greeter }) { this.greeter = greeter; }
  async intercept(execution, next) {
    execution.scope.register('who', asValue(this.greeter.greet(execution.handler.name)));
    events.push('who:before');
    return next();
  }
}

export function requireLetIn(execution) {
  return execution.is('http') && execution.details.request.headers['x-let-in'] === 'yes';
}
export function requireToken(execution) {
  if (!execution.details.request.headers.authorization) throw new HttpError(401, 'log in first');
  return true;
}
const shortCircuit = async () => ({ cached: true });
const replaceResult = async (execution, next) => ({ wrapped: await next() });
const refuse = () => false;

@RestController('/order')
@UseMiddleware(record('class-1'), record('class-2'))
export class OrderController {
  @Get('/one')
  @UseMiddleware(record('method-1'))
  @UseMiddleware(record('method-2'))
  async one() { events.push('handler'); return { ok: true }; }

  @Get('/two')
  async two() { events.push('handler'); return { two: true }; }

  @Get('/cached')
  @UseMiddleware(shortCircuit)
  async cached() { events.push('handler'); return { cached: false }; }

  @Get('/boom')
  async boom() { events.push('handler'); throw new Error('boom'); }

  @Get('/wrapped')
  @UseMiddleware(replaceResult)
  async wrapped() { return { inner: 1 }; }

  @Get('/who')
  @UseMiddleware(WhoMiddleware)
  async who() { return { who: useContainer().resolve('who') }; }
}

@RestController('/guarded')
@UseGuard(requireLetIn)
export class GuardedController {
  constructor() { events.push('guarded-controller-built'); }
  @Get('/a') async a() { return { a: true }; }
  @Get('/b') async b() { return { b: true }; }
}

@RestController('/open')
export class OpenController {
  @Get('/x') async x() { return { open: true }; }
  @Get('/token') @UseGuard(requireToken) async token() { return { token: true }; }
}

// Only for validate's listing: a parent's class-level layers go outside the subclass's; guards
// and middleware form one chain in the order written.
@UseMiddleware(function baseMw(e, next) { return next(); })
class BaseController {}
@RestController('/child')
@UseGuard(function childGuard() { return true; })
export class ChildController extends BaseController {
  @Get('/c')
  @UseGuard(function g1() { return true; })
  @UseMiddleware(function m2(e, next) { return next(); })
  async c() { return { child: true }; }
}

@RestController('/errors')
export class ErrorsController {
  @Get('/missing') async missing() { throw new ThingNotFound('thing 7 not found'); }
  @Get('/special') async special() { throw new SpecialThingNotFound('special thing not found'); }
  @Get('/taken') async taken() { throw new ThingTaken('the name is taken'); }
  @Get('/unknown') async unknown() { throw new Error('secret detail'); }
}

export const Pong = defineMessage({ name: 'Pong', topic: 'mw.pong', kind: 'task', schema: { type: 'object', required: ['id'], properties: { id: { type: 'string' } } } });
export const Ping = defineMessage({ name: 'Ping', topic: 'mw.ping', kind: 'task', schema: { type: 'object', required: ['id', 'mode'], properties: { id: { type: 'string' }, mode: { type: 'string' } } } });

@RestController('/journal')
export class JournalController {
  @Get('/') async read() { return { events, sched }; }
  @Delete('/') async clear() { events.length = 0; }
  @Get('/publish/:mode/:id') async publish(request) {
    if (request.params.mode === 'pong') usePublisher().publish(Pong, { id: request.params.id });
    else usePublisher().publish(Ping, { id: request.params.id, mode: request.params.mode });
    return { queued: true };
  }
}

@MessageBusController()
export class PingWorker {
  @MessageHandler(Ping, { name: 'ping', retry: { maxAttempts: 3, initialDelayMs: 50, maxDelayMs: 100 } })
  @UseMiddleware(record('msg-mw'))
  @UseGuard((execution) => execution.details.payload.mode !== 'refuse')
  async ping(payload) {
    events.push('ping:' + payload.id);
    if (payload.mode === 'missing') throw new ThingNotFound('thing ' + payload.id + ' not found');
  }

  @MessageHandler(Pong, { name: 'pong' })
  async pong(payload) { events.push('pong:' + payload.id); }
}

export class Schedules {
  @ScheduledAction('* * * * * *', { name: 'refused' })
  @UseGuard(refuse)
  async refused() { sched.push('refused-ran'); }

  @ScheduledAction('* * * * * *', { name: 'wrapped' })
  @UseMiddleware(record('sched-mw', sched))
  async wrapped() { sched.push('sched-handler'); }
}

@WebSocketEndpoint('/ws')
export class GuardedSocket {
  @OnConnect()
  @UseGuard((execution) => !execution.details.request.url.includes('deny'))
  connect() { return { type: 'hello' }; }

  @OnMessage('open') open() { return { type: 'opened', data: { via: 'handler' } }; }

  @OnMessage('wrapped')
  @UseMiddleware(async (execution, next) => ({ type: 'wrapped', data: { inner: await next(), kind: execution.kind } }))
  wrapped() { return { type: 'inner' }; }

  @OnMessage('secret')
  @UseGuard(refuse)
  secret() { return { type: 'leaked' }; }

  @OnMessage('missing') missing() { throw new ThingNotFound('no such thing'); }
}
`;

const serviceYaml = `
name: mw
interceptors:
  - use: ./recorder.ts
  - use: message-bus
    with: { url: "memory://mw" }
  - use: websocket
    with: { url: "memory://" }
providers:
  greeter:
    factory: ./greeter.ts#greeter
controllers:
  - ./controllers.ts
`;

const greeter = `export function greeter() { return { greet: (name) => 'hello from ' + name }; }\n`;

let host: SpawnedHost;
const get = async (p: string, headers: Record<string, string> = {}) => http('GET', `${host.url}${p}`, undefined, headers);
const events = async (): Promise<string[]> => (await get('/journal')).body.events;
const schedEvents = async (): Promise<string[]> => (await get('/journal')).body.sched;
const clear = () => http('DELETE', `${host.url}/journal`);

async function eventually<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  for (let i = 0; i < 150; i++) {
    const v = await read();
    if (ok(v)) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what}: not seen; last: ${JSON.stringify(await read())}`);
}

describe('middleware and guards in every role (spawned jararaca-host --role all)', () => {
  let dir: string;
  before(async () => {
    dir = writeService({ 'journal.ts': journal, 'recorder.ts': recorderPlugin, 'controllers.ts': controllers, 'greeter.ts': greeter, 'service.yaml': serviceYaml });
    host = await spawnHost(path.join(dir, 'service.yaml'), { args: ['--role', 'all'] });
  });
  after(async () => {
    await host?.stop();
  });

  test('order: declared interceptors outside, then class-level middleware, then method-level, each in the order written', async () => {
    await clear();
    const res = await get('/order/one');
    assert.deepEqual(res.body, { ok: true });
    assert.deepEqual(await events(), [
      'interceptor:before', 'class-1:before', 'class-2:before', 'method-1:before', 'method-2:before',
      'handler',
      'method-2:after:ok', 'method-1:after:ok', 'class-2:after:ok', 'class-1:after:ok', 'interceptor:after:ok',
    ]);
  });

  test('method-level middleware runs only for its handler; class-level for every handler of the class', async () => {
    await clear();
    assert.deepEqual((await get('/order/two')).body, { two: true });
    assert.deepEqual(await events(), ['interceptor:before', 'class-1:before', 'class-2:before', 'handler', 'class-2:after:ok', 'class-1:after:ok', 'interceptor:after:ok']);
  });

  test('short-circuit: a middleware that answers without next() skips the handler; the outer layers see its value', async () => {
    await clear();
    assert.deepEqual((await get('/order/cached')).body, { cached: true });
    const seen = await events();
    assert.ok(!seen.includes('handler'));
    assert.deepEqual(seen, ['interceptor:before', 'class-1:before', 'class-2:before', 'class-2:after:ok', 'class-1:after:ok', 'interceptor:after:ok']);
  });

  test('outcome: middleware sees the handler\'s error on the way out, and may replace its value', async () => {
    await clear();
    const res = await get('/order/boom');
    assert.equal(res.status, 500);
    assert.deepEqual(Object.keys(res.body).sort(), ['error', 'message', 'requestId', 'statusCode']);
    assert.deepEqual(await events(), ['interceptor:before', 'class-1:before', 'class-2:before', 'handler', 'class-2:after:error:boom', 'class-1:after:error:boom', 'interceptor:after:error:boom']);
    assert.deepEqual((await get('/order/wrapped')).body, { wrapped: { inner: 1 } });
  });

  test('a middleware class is built in the execution\'s scope with its dependencies, and registers values there', async () => {
    assert.deepEqual((await get('/order/who')).body, { who: 'hello from OrderController.who' });
  });

  test('a controller-level guard protects every route of that controller and nothing else; a refusal is a 403 before the controller is built', async () => {
    await clear();
    for (const p of ['/guarded/a', '/guarded/b']) {
      const refused = await get(p);
      assert.equal(refused.status, 403, p);
      assert.equal(refused.body.code, 'JRR_GUARD_REJECTED');
      assert.equal(refused.body.error, 'Forbidden');
      assert.match(refused.body.message, /GuardedController\.(a|b) was refused by the guard requireLetIn/);
    }
    assert.ok(!(await events()).includes('guarded-controller-built'));
    assert.deepEqual((await get('/guarded/a', { 'x-let-in': 'yes' })).body, { a: true });
    assert.deepEqual((await get('/guarded/b', { 'x-let-in': 'yes' })).body, { b: true });
    assert.deepEqual((await get('/open/x')).body, { open: true });
  });

  test('a guard that throws an HttpError answers with it (401)', async () => {
    const res = await get('/open/token');
    assert.equal(res.status, 401);
    assert.equal(res.body.message, 'log in first');
    assert.equal((await get('/open/token', { authorization: 'Bearer x' })).status, 200);
  });

  test('@DomainError: a mapped error is its status with the framework\'s body; a subclass inherits it; anything else stays a 500 with only a request id', async () => {
    const missing = await get('/errors/missing');
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.body, { statusCode: 404, code: 'JRR_HTTP_404', error: 'Not Found', message: 'thing 7 not found' });
    assert.equal((await get('/errors/special')).status, 404);
    const taken = await get('/errors/taken');
    assert.equal(taken.status, 409);
    assert.deepEqual(taken.body, { statusCode: 409, code: 'THING_TAKEN', error: 'Conflict', message: 'the name is taken', details: { field: 'name' } });
    const unknown = await get('/errors/unknown');
    assert.equal(unknown.status, 500);
    assert.match(unknown.body.requestId, /^[0-9a-f-]{36}$/);
    assert.doesNotMatch(JSON.stringify(unknown.body), /secret detail/);
  });

  test('message handlers: method-level middleware runs around them; a guard\'s false dead-letters at once with a reason, without running the handler', async () => {
    await clear();
    await get('/journal/publish/ok/m1');
    await eventually('m1 handled', events, (e) => e.includes('msg-mw:after:ok'));
    assert.deepEqual(await events(), ['interceptor:before', 'msg-mw:before', 'ping:m1', 'msg-mw:after:ok', 'interceptor:after:ok']);

    // The other handler of the same controller has no method-level middleware.
    await clear();
    await get('/journal/publish/pong/p1');
    await eventually('p1 handled', events, (e) => e.includes('interceptor:after:ok'));
    assert.deepEqual(await events(), ['interceptor:before', 'pong:p1', 'interceptor:after:ok']);

    await clear();
    await get('/journal/publish/refuse/m2');
    const line = await host.waitForLog((l) => String(l.handler).includes('ping') && typeof l.msg === 'string' && l.msg.includes('dead-lettered') && String(l.reason).includes('guard'));
    assert.match(String(line.msg), /not retried \(refused by the guard .*\); dead-lettered/);
    assert.ok(!(await events()).includes('ping:m2'), 'the handler did not run');
  });

  test('message handlers: an error mapped with retry: false is dead-lettered on its first attempt', async () => {
    await clear();
    await get('/journal/publish/missing/m3');
    const line = await host.waitForLog((l) => String(l.handler).includes('ping') && typeof l.msg === 'string' && l.msg.includes('dead-lettered') && String(l.reason).includes('retry: false'));
    assert.equal(line.attempt, 1);
    assert.deepEqual((await events()).filter((e) => e === 'ping:m3'), ['ping:m3']);
  });

  test('scheduled actions: middleware runs around a fire; a guard\'s false is a skipped run with the guard in its log line', async () => {
    await eventually('a scheduled fire through its middleware', schedEvents, (e) => e.includes('sched-mw:after:ok'));
    const seen = await schedEvents();
    const at = seen.indexOf('sched-mw:before');
    assert.deepEqual(seen.slice(at, at + 3), ['sched-mw:before', 'sched-handler', 'sched-mw:after:ok']);
    const line = await host.waitForLog((l) => l.action === 'refused' && l.outcome === 'skipped');
    assert.match(String(line.reason), /skipped by the guard refuse/);
    assert.equal(line.level, 30, 'a skipped run is not an error');
    assert.ok(!seen.includes('refused-ran'));
  });

  test('websocket: a guarded message gets an error frame; a guarded connect closes with 1008; a mapped error is an error frame with its code', async () => {
    const ws = new WebSocket(`${host.url.replace('http', 'ws')}/ws`);
    const frames: Array<Record<string, any>> = [];
    ws.on('message', (d) => frames.push(JSON.parse(d.toString())));
    await once(ws, 'open');
    await eventually('hello', async () => frames, (f) => f.some((x) => x.type === 'hello'));
    ws.send(JSON.stringify({ type: 'secret', id: 1 }));
    ws.send(JSON.stringify({ type: 'missing', id: 2 }));
    ws.send(JSON.stringify({ type: 'open', id: 3 }));
    ws.send(JSON.stringify({ type: 'wrapped', id: 4 }));
    await eventually('four replies', async () => frames, (f) => f.length >= 5);
    const byReply = (id: number) => frames.find((f) => f.replyTo === id);
    assert.equal(byReply(1)?.type, 'error');
    assert.equal(byReply(1)?.data.code, 'JRR_GUARD_REJECTED');
    assert.equal(byReply(2)?.data.code, 'JRR_HTTP_404');
    assert.equal(byReply(2)?.data.message, 'no such thing');
    // Method-level middleware wraps its own handler only.
    assert.deepEqual(byReply(3), { type: 'opened', data: { via: 'handler' }, replyTo: 3 });
    assert.deepEqual(byReply(4)?.data, { inner: { type: 'inner' }, kind: 'websocket' });
    ws.close();

    const denied = new WebSocket(`${host.url.replace('http', 'ws')}/ws?deny=1`);
    const [code] = (await once(denied, 'close')) as [number];
    assert.equal(code, 1008);
  });

  test('validate lists each handler\'s middleware chain', async () => {
    const result = await runHost(['validate', '--config', path.join(dir, 'service.yaml')]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^middleware chains, inside the interceptors, outermost first \(\d+\):$/m);
    // record(label) returns an unnamed arrow function: shown as 'anonymous'.
    assert.match(result.stdout, /^ {2}OrderController\.one \(http\): anonymous → anonymous → anonymous → anonymous$/m);
    assert.match(result.stdout, /^ {2}OrderController\.who \(http\): anonymous → anonymous → WhoMiddleware$/m);
    assert.match(result.stdout, /^ {2}OrderController\.cached \(http\): anonymous → anonymous → shortCircuit$/m);
    assert.match(result.stdout, /^ {2}GuardedController\.a \(http\): guard requireLetIn$/m);
    assert.match(result.stdout, /^ {2}Schedules\.refused \(scheduled\): guard refuse$/m);
    assert.match(result.stdout, /^ {2}ChildController\.c \(http\): baseMw → guard childGuard → guard g1 → m2$/m);
    assert.doesNotMatch(result.stdout, /OpenController\.x \(http\)/, "a handler without middleware has no chain line");
  });
});

describe('middleware classes are checked at start', () => {
  test('a middleware class with an unknown dependency stops the start (exit 2) naming the class and the token', async () => {
    const dir = writeService({
      'c.ts': `import { Get, RestController, UseGuard } from 'jararaca';
export class AuditGuard { constructor({ auditLog }) { this.log = auditLog; } canActivate() { return true; } }
@RestController('/')
export class C { @Get('/') @UseGuard(AuditGuard) async x() { return 1; } }
`,
      'service.yaml': 'name: mwcheck\ncontrollers: [./c.ts]\n',
    });
    const result = await runHost(['validate', '--config', path.join(dir, 'service.yaml')]);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /the guard class AuditGuard needs 'auditLog', which is not registered/);
  });

  test('@UseMiddleware given something that is not a function, or a class without intercept(), fails at load with JRR_MIDDLEWARE_INVALID', async () => {
    const { UseMiddleware } = await import('jararaca');
    assert.throws(() => UseMiddleware('nope' as never), (err: { code?: string }) => err.code === 'JRR_MIDDLEWARE_INVALID');
    class NotAMiddleware {}
    assert.throws(() => UseMiddleware(NotAMiddleware as never), /has no intercept\(\) method/);
  });
});

describe('the tasks example (spawned, embedded engines)', () => {
  let example: SpawnedHost;
  before(async () => {
    example = await spawnHost(path.join(repoRoot, 'examples/tasks/service.yaml'), { args: ['--role', 'http'], env: { DATABASE_URL: undefined, AMQP_URL: undefined, REDIS_URL: undefined, TASKS_API_KEY: undefined }, timeoutMs: 90000 });
  });
  after(async () => {
    await example?.stop();
  });

  test('TaskNotFound is a 404 with the framework\'s error body', async () => {
    const id = '00000000-0000-4000-8000-000000000000';
    const res = await http('GET', `${example.url}/tasks/${id}`);
    assert.equal(res.status, 404);
    assert.deepEqual(res.body, { statusCode: 404, code: 'JRR_HTTP_404', error: 'Not Found', message: `task ${id} not found` });
  });

  test('DELETE /tasks/:id needs the API key: 401 without, 403 with a wrong one, 204 with it, then 404', async () => {
    const created = await http('POST', `${example.url}/tasks`, { title: 'to delete' });
    const url = `${example.url}/tasks/${created.body.id}`;
    assert.equal((await http('DELETE', url)).status, 401);
    const wrong = await http('DELETE', url, undefined, { 'x-api-key': 'not-the-key' });
    assert.equal(wrong.status, 403);
    assert.equal(wrong.body.code, 'JRR_GUARD_REJECTED');
    assert.equal((await http('GET', url)).status, 200, 'a refused delete deleted nothing');
    assert.equal((await http('DELETE', url, undefined, { 'x-api-key': 'dev-api-key' })).status, 204);
    assert.equal((await http('GET', url)).status, 404);
    assert.equal((await http('DELETE', url, undefined, { 'x-api-key': 'dev-api-key' })).status, 404);
  });
});
