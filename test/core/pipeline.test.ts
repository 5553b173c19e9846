// The execution pipeline, in process: interceptor order and outcomes, scope isolation under
// load, hooks' errors, plugin lifecycle, HTTP error mapping.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { defineHook, Host, HookError, useExecution } from 'jararaca';
import { createLogger } from '../../host/core/logger.ts';
import { startHttpRole } from '../../host/roles/http/server.ts';
import { http, writeService } from '../support/host.ts';

// A plugin that records what it sees, so the test can read the onion from outside.
const recorderPlugin = `
import { definePlugin, HttpError } from 'jararaca';
const events = (globalThis.__pipelineEvents ??= []);
export default definePlugin({
  name: 'recorder',
  options: { type: 'object', required: ['label'], properties: { label: { type: 'string' }, failStart: { type: 'boolean' }, failAfter: { type: 'boolean' } }, additionalProperties: false },
  setup(ctx) {
    const label = ctx.options.label;
    return {
      async intercept(execution, next) {
        if (execution.getMetadata('deny') === label) throw new HttpError(403, 'denied by ' + label);
        events.push(label + ':before');
        try {
          const value = await next();
          events.push(label + ':after:ok:' + JSON.stringify(value));
          if (ctx.options.failAfter) throw new Error('failAfter in ' + label);
          return value;
        } catch (err) {
          events.push(label + ':after:error:' + err.message);
          throw err;
        }
      },
      start() {
        events.push(label + ':start');
        if (ctx.options.failStart) throw new Error('start failed in ' + label);
      },
      stop() { events.push(label + ':stop'); },
      http(app) { app.addHook('onSend', async (_req, reply) => { reply.header('x-' + label, 'seen'); }); },
    };
  },
});
`;

// Registers a scoped value per execution from a request header: isolation must hold.
const tagPlugin = `
import { asValue } from 'awilix';
import { definePlugin } from 'jararaca';
export default definePlugin({
  name: 'tagger',
  setup() {
    return {
      scoped: ['requestTag'],
      async intercept(execution, next) {
        const tag = execution.details.request?.headers['x-tag'];
        execution.scope.register('requestTag', asValue(tag));
        return next();
      },
    };
  },
});
`;

const controller = `
import { Get, Post, RestController, SetMetadata, useContainer, useConfig, useExecution, HttpError } from 'jararaca';
const events = (globalThis.__pipelineEvents ??= []);

export class TagEcho {
  constructor({ requestTag }) { this.tag = requestTag; }
}

@RestController('/p')
@SetMetadata('level', 'class')
export class PipelineController {
  constructor({ config, tagEcho }) { this.config = config; this.tagEcho = tagEcho; }

  @Get('/ok')
  async ok() { events.push('handler'); return { ok: true }; }

  @Get('/boom')
  async boom() { events.push('handler'); throw new Error('secret internal detail'); }

  @Get('/typed', { schema: { querystring: { type: 'object', required: ['n'], properties: { n: { type: 'integer' } } } } })
  async typed(request) { events.push('handler'); return { n: request.query.n }; }

  @Get('/teapot')
  async teapot() { throw new HttpError(418, 'short and stout', { size: 'small' }); }

  @Get('/metadata')
  @SetMetadata('level', 'method')
  async metadata() { return { level: useExecution().getMetadata('level'), kind: useExecution().kind }; }

  @Get('/class-metadata')
  async classMetadata() { return { level: useExecution().getMetadata('level') }; }

  @Get('/denied')
  @SetMetadata('deny', 'b')
  async denied() { events.push('handler'); return { reached: true }; }

  @Get('/tag')
  async tag() {
    await new Promise((r) => setTimeout(r, Math.random() * 20));
    const fromScope = useContainer().resolve('requestTag');
    await new Promise((r) => setImmediate(r));
    return { fromScope, fromProvider: this.tagEcho.tag, id: useExecution().id };
  }

  @Get('/config')
  async cfg() { return { hook: useConfig(), injected: this.config }; }

  @Post('/echo', { status: 201, schema: { body: { type: 'object', required: ['n'], properties: { n: { type: 'integer', minimum: 1 } } } } })
  async echo(request) { return { n: request.body.n }; }

  @Get('/empty')
  async empty() { return undefined; }
}
`;

function service(extra = ''): Record<string, string> {
  return {
    'recorder.ts': recorderPlugin,
    'tagger.ts': tagPlugin,
    'pipeline.controller.ts': controller,
    'service.yaml': `
name: pipeline
config:
  answer: \${ANSWER_FOR_PIPELINE_TEST:-42}
interceptors:
  - use: config
    with:
      schema: { type: object, properties: { answer: { type: integer } } }
  - use: ./tagger.ts
  - use: ./recorder.ts
    with: { label: a }
  - use: ./recorder.ts
    with: { label: b }
  - use: ./recorder.ts
    with: { label: c }
providers:
  tagEcho:
    class: ./pipeline.controller.ts#TagEcho
    lifetime: scoped
controllers:
  - ./pipeline.controller.ts
http:
  bodyLimit: 64
${extra}`,
  };
}

const logger = createLogger({ level: 'silent' });
const events = ((globalThis as Record<string, unknown>).__pipelineEvents ??= []) as string[];

describe('execution pipeline over HTTP (in process)', () => {
  let host: Host;
  let url: string;

  before(async () => {
    const dir = writeService(service());
    host = await Host.load({ config: path.join(dir, 'service.yaml'), roles: ['http'], logger });
    let port = 0;
    await host.start({
      http: async (h) => {
        const role = await startHttpRole(h, { port: 0 });
        port = role.port;
        return role;
      },
    });
    url = `http://127.0.0.1:${port}`;
  });

  after(async () => {
    await host.stop();
  });

  test('interceptors wrap the handler in declared order, first listed outermost, and see its value', async () => {
    events.length = 0;
    const res = await http('GET', `${url}/p/ok`);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { ok: true });
    assert.deepEqual(events, ['a:before', 'b:before', 'c:before', 'handler', 'c:after:ok:{"ok":true}', 'b:after:ok:{"ok":true}', 'a:after:ok:{"ok":true}']);
  });

  test('every interceptor sees the error on the way out; the client gets a 500 with a request id and no detail', async () => {
    events.length = 0;
    const res = await http('GET', `${url}/p/boom`);
    assert.equal(res.status, 500);
    assert.equal(res.body.message, 'Internal Server Error');
    assert.match(res.body.requestId, /^[0-9a-f-]{36}$/);
    assert.equal(res.headers.get('x-request-id'), res.body.requestId);
    assert.doesNotMatch(JSON.stringify(res.body), /secret internal detail|at .*\.ts/);
    assert.deepEqual(events, ['a:before', 'b:before', 'c:before', 'handler', 'c:after:error:secret internal detail', 'b:after:error:secret internal detail', 'a:after:error:secret internal detail']);
  });

  test('a request failing its schema is an execution too: every interceptor sees the 400, the handler never runs', async () => {
    events.length = 0;
    const res = await http('GET', `${url}/p/typed?n=abc`);
    assert.equal(res.status, 400);
    assert.equal(res.body.code, 'JRR_VALIDATION');
    assert.match(res.body.message, /n/);
    assert.equal(events.length, 6, JSON.stringify(events));
    assert.deepEqual(events.slice(0, 3), ['a:before', 'b:before', 'c:before']);
    assert.ok(events.slice(3).every((e) => e.includes(':after:error:')), JSON.stringify(events));
    assert.ok(!events.includes('handler'));
    events.length = 0;
    assert.deepEqual((await http('GET', `${url}/p/typed?n=7`)).body, { n: 7 });
  });

  test('an interceptor can short-circuit from handler metadata: inner layers and the handler never run', async () => {
    events.length = 0;
    const res = await http('GET', `${url}/p/denied`);
    assert.equal(res.status, 403);
    assert.equal(res.body.message, 'denied by b');
    assert.deepEqual(events, ['a:before', 'a:after:error:denied by b']);
  });

  test('HttpError gives its status, message and details', async () => {
    const res = await http('GET', `${url}/p/teapot`);
    assert.equal(res.status, 418);
    assert.equal(res.body.message, 'short and stout');
    assert.deepEqual(res.body.details, { size: 'small' });
  });

  test('@SetMetadata on the method wins over the class; the class value applies otherwise', async () => {
    assert.deepEqual((await http('GET', `${url}/p/metadata`)).body, { level: 'method', kind: 'http' });
    assert.deepEqual((await http('GET', `${url}/p/class-metadata`)).body, { level: 'class' });
  });

  test('a plugin http() extension reaches every route (fastify-plugin on the root)', async () => {
    const res = await http('GET', `${url}/p/ok`);
    assert.equal(res.headers.get('x-a'), 'seen');
    assert.equal(res.headers.get('x-c'), 'seen');
  });

  test('schema validation errors are 400 with details; the status option sets 201', async () => {
    const bad = await http('POST', `${url}/p/echo`, { n: 0 });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.code, 'JRR_VALIDATION');
    assert.equal(bad.body.details[0].path, '/n');
    const missing = await http('POST', `${url}/p/echo`, {});
    assert.equal(missing.status, 400);
    assert.match(missing.body.message, /must have required property 'n'/);
    const good = await http('POST', `${url}/p/echo`, { n: 3 });
    assert.equal(good.status, 201);
    assert.deepEqual(good.body, { n: 3 });
  });

  test('bodies over http.bodyLimit are 413; malformed JSON is 400; unknown routes are 404 JSON', async () => {
    const big = await http('POST', `${url}/p/echo`, { n: 1, pad: 'x'.repeat(200) });
    assert.equal(big.status, 413);
    const broken = await http('POST', `${url}/p/echo`, '{"n": 1');
    assert.equal(broken.status, 400);
    const none = await http('GET', `${url}/nope`);
    assert.equal(none.status, 404);
    assert.equal(none.body.code, 'JRR_ROUTE_NOT_FOUND');
  });

  test('a handler returning nothing answers 204', async () => {
    const res = await http('GET', `${url}/p/empty`);
    assert.equal(res.status, 204);
  });

  test('useConfig() and the injected config are the validated config section, typed by its schema', async () => {
    const res = await http('GET', `${url}/p/config`);
    assert.deepEqual(res.body, { hook: { answer: 42 }, injected: { answer: 42 } });
  });

  test('1,000 concurrent requests each see only their own scoped values', async () => {
    const n = 1000;
    const results = await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        const res = await http('GET', `${url}/p/tag`, undefined, { 'x-tag': `tag-${i}` });
        return { i, ...res };
      }),
    );
    const ids = new Set<string>();
    for (const r of results) {
      assert.equal(r.status, 200);
      assert.equal(r.body.fromScope, `tag-${r.i}`);
      assert.equal(r.body.fromProvider, `tag-${r.i}`);
      ids.add(r.body.id);
    }
    assert.equal(ids.size, n);
  });

  test('two requests sending the same x-request-id keep it for correlation but get their own execution ids', async () => {
    const [a, b] = await Promise.all([1, 2].map((i) => http('GET', `${url}/p/tag`, undefined, { 'x-tag': `t${i}`, 'x-request-id': 'same-id' })));
    assert.equal(a.headers.get('x-request-id'), 'same-id');
    assert.equal(b.headers.get('x-request-id'), 'same-id');
    assert.notEqual(a.body.id, b.body.id);
    assert.notEqual(a.body.id, 'same-id');
  });

  test('/health/ready is 200 once started', async () => {
    const res = await http('GET', `${url}/health/ready`);
    assert.equal(res.status, 200);
    assert.equal(res.body.ready, true);
  });
});

describe('hooks', () => {
  test('a hook outside an execution throws JRR_NO_EXECUTION and says where hooks work', () => {
    assert.throws(() => useExecution(), (err: unknown) => err instanceof HookError && err.code === 'JRR_NO_EXECUTION' && /outside an execution/.test(err.message));
  });

  test('a hook whose plugin is not declared names the plugin to add', async () => {
    const useThing = defineHook<string>({ name: 'useThing', plugin: 'thing-plugin' });
    const dir = writeService({
      'c.ts': `import { Get, RestController } from 'jararaca';\nexport const holder = {};\n@RestController('/')\nexport class C { @Get('/thing') async thing() { return { v: holder.useThing() }; } }\n`,
      'service.yaml': 'name: hooks\ncontrollers: [./c.ts]\n',
    });
    const holder = ((await import(path.join(dir, 'c.ts'))) as { holder: Record<string, unknown> }).holder;
    holder.useThing = useThing;
    const host = await Host.load({ config: path.join(dir, 'service.yaml'), roles: [], logger });
    await host.start({});
    try {
      const handler = host.handlers.ofKind('http')[0];
      await assert.rejects(
        host.execute({ kind: 'http', handler, logger: host.logger }, () => useThing()),
        (err: unknown) => err instanceof HookError && err.code === 'JRR_HOOK_PLUGIN_MISSING' && err.message.includes('- use: thing-plugin') && err.message.includes('useThing()'),
      );
      // Provided for one execution only.
      const value = await host.execute({ kind: 'http', handler, logger: host.logger }, (ex) => {
        useThing.provide(ex, 'here');
        return useThing();
      });
      assert.equal(value, 'here');
    } finally {
      await host.stop();
    }
  });
});

describe('plugin lifecycle', () => {
  test('a plugin failing to start stops those already started, in reverse order, and start() rejects', async () => {
    const dir = writeService({
      'recorder.ts': recorderPlugin,
      'c.ts': `import { Get, RestController } from 'jararaca';\n@RestController('/')\nexport class C { @Get('/') async x() { return 1; } }\n`,
      'service.yaml': `name: lifecycle
interceptors:
  - use: ./recorder.ts
    with: { label: one }
  - use: ./recorder.ts
    with: { label: two }
  - use: ./recorder.ts
    with: { label: three, failStart: true }
  - use: ./recorder.ts
    with: { label: four }
controllers: [./c.ts]
`,
    });
    events.length = 0;
    const host = await Host.load({ config: path.join(dir, 'service.yaml'), roles: [], logger });
    await assert.rejects(host.start({}), /start failed in three/);
    assert.deepEqual(events, ['one:start', 'two:start', 'three:start', 'two:stop', 'one:stop']);
  });

  test('stop() runs plugins stop() in reverse start order', async () => {
    const dir = writeService({
      'recorder.ts': recorderPlugin,
      'c.ts': `import { Get, RestController } from 'jararaca';\n@RestController('/')\nexport class C { @Get('/') async x() { return 1; } }\n`,
      'service.yaml': `name: lifecycle2
interceptors:
  - use: ./recorder.ts
    with: { label: one }
  - use: ./recorder.ts
    with: { label: two }
controllers: [./c.ts]
`,
    });
    events.length = 0;
    const host = await Host.load({ config: path.join(dir, 'service.yaml'), roles: [], logger });
    await host.start({});
    await host.stop();
    await host.stop(); // idempotent
    assert.deepEqual(events, ['one:start', 'two:start', 'two:stop', 'one:stop']);
  });
});
