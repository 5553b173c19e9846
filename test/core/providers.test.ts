// Providers: value, class and factory tokens; lifetimes; disposal; start-up resolution errors.
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import { Host, ResolutionError } from 'jararaca';
import { createLogger } from '../../host/core/logger.ts';
import { startHttpRole } from '../../host/roles/http/server.ts';
import { http, writeService } from '../support/host.ts';

const logger = createLogger({ level: 'silent' });
const log = ((globalThis as Record<string, unknown>).__providerLog ??= []) as string[];

const modules = `
const log = (globalThis.__providerLog ??= []);
let counter = 0;
export class Counter {
  constructor({ prefix }) { this.id = prefix + (++counter); log.push('new ' + this.id); }
  dispose() { log.push('dispose ' + this.id); }
}
export class Connection {
  constructor() { log.push('connect'); }
  async close() { log.push('close'); }
}
export async function asyncClient({ prefix }) {
  await new Promise((r) => setTimeout(r, 20));
  log.push('async ready');
  return { name: prefix + 'client', async dispose() { log.push('async dispose'); } };
}
`;

const controller = `
import { Get, RestController } from 'jararaca';
@RestController('/')
export class C {
  constructor({ scopedA, scopedB, transientA, transientB, singleton, client, limits }) {
    Object.assign(this, { scopedA, scopedB, transientA, transientB, singleton, client, limits });
  }
  @Get('/ids') async ids() {
    return { scopedSame: this.scopedA === this.scopedB, transientSame: this.transientA === this.transientB,
      singleton: this.singleton.id, client: this.client.name, limits: this.limits, scoped: this.scopedA.id };
  }
}
`;

function declaration(extraProviders = ''): string {
  return `
name: providers
providers:
  prefix: { value: "p-" }
  limits: { value: { max: 3, names: [a, b] } }
  singleton: { class: ./m.ts#Counter }
  scopedA: { factory: ./m.ts#scopedFactory, lifetime: scoped }
  scopedB: { factory: ./m.ts#sameScoped, lifetime: scoped }
  shared: { class: ./m.ts#Counter, lifetime: scoped }
  transientA: { class: ./m.ts#Counter, lifetime: transient }
  transientB: { class: ./m.ts#Counter, lifetime: transient }
  connection: { class: ./m.ts#Connection, dispose: close }
  client: { factory: ./m.ts#asyncClient }
${extraProviders}
controllers: [./c.ts]
`;
}

const extraModule = `
export function scopedFactory({ shared }) { return shared; }
export function sameScoped({ shared }) { return shared; }
`;

describe('providers', () => {
  test('value, class and factory tokens with singleton, scoped and transient lifetimes; disposal at the end of each execution and at shutdown', async () => {
    log.length = 0;
    const dir = writeService({ 'm.ts': modules + extraModule, 'c.ts': controller, 'service.yaml': declaration() });
    const host = await Host.load({ config: path.join(dir, 'service.yaml'), roles: ['http'], logger });
    let port = 0;
    await host.start({ http: async (h) => { const r = await startHttpRole(h, { port: 0 }); port = r.port; return r; } });
    // Singletons are built at start (the async factory awaited), before any request.
    assert.ok(log.includes('connect'));
    assert.ok(log.includes('async ready'));
    const a = (await http('GET', `http://127.0.0.1:${port}/ids`)).body;
    const b = (await http('GET', `http://127.0.0.1:${port}/ids`)).body;
    assert.equal(a.scopedSame, true, 'one scoped instance per execution');
    assert.equal(a.transientSame, false, 'a new transient per injection');
    assert.equal(a.singleton, b.singleton, 'one singleton per process');
    assert.notEqual(a.scoped, b.scoped, 'a new scoped instance per execution');
    assert.equal(a.client, 'p-client');
    assert.deepEqual(a.limits, { max: 3, names: ['a', 'b'] });
    assert.ok(log.includes(`dispose ${a.scoped}`), 'scoped instances are disposed when their execution ends');
    await host.stop();
    assert.ok(log.includes('close'), 'dispose: close is called at shutdown');
    assert.ok(log.includes('async dispose'));
    assert.ok(log.includes(`dispose ${a.singleton}`));
    // Reverse declaration order at shutdown: the client (declared last) goes first.
    assert.ok(log.indexOf('async dispose') < log.indexOf('close'));
  });

  test('an unknown token in a controller constructor fails the start, naming the controller and the token', async () => {
    const dir = writeService({
      'c.ts': `import { Get, RestController } from 'jararaca';\n@RestController('/')\nexport class NeedsClock { constructor({ clock }) { this.clock = clock; } @Get('/') async x() { return 1; } }\n`,
      'service.yaml': 'name: unknown-token\nproviders:\n  calendar: { value: 1 }\ncontrollers: [./c.ts]\n',
    });
    const host = await Host.load({ config: path.join(dir, 'service.yaml'), roles: [], logger });
    await assert.rejects(host.start({}), (err: unknown) => {
      assert.ok(err instanceof ResolutionError);
      assert.match(err.message, /NeedsClock needs 'clock', which is not registered/);
      assert.match(err.message, /registered: calendar/);
      assert.deepEqual(err.resolutionPath, ['NeedsClock', 'clock']);
      return true;
    });
  });

  test('a dependency cycle between providers is reported with its path', async () => {
    const dir = writeService({
      'm.ts': 'export function a({ b }) { return b; }\nexport function b({ a }) { return a; }\n',
      'c.ts': `import { Get, RestController } from 'jararaca';\n@RestController('/')\nexport class C { @Get('/') async x() { return 1; } }\n`,
      'service.yaml': 'name: cycle\nproviders:\n  a: { factory: ./m.ts#a }\n  b: { factory: ./m.ts#b }\ncontrollers: [./c.ts]\n',
    });
    const host = await Host.load({ config: path.join(dir, 'service.yaml'), roles: [], logger });
    await assert.rejects(host.start({}), /provider 'a' needs a cycle: a -> b -> a/);
  });

  test('a @Singleton() controller is built once for all executions; scoped ones once per execution', async () => {
    const dir = writeService({
      'c.ts':
        "import { Get, RestController, Singleton } from 'jararaca';\n" +
        "let built = 0;\n@Singleton()\n@RestController('/one')\nexport class One { n = ++built; @Get('/') async x() { return { n: this.n, built }; } }\n" +
        "let scopedBuilt = 0;\n@RestController('/many')\nexport class Many { n = ++scopedBuilt; @Get('/') async x() { return { n: this.n }; } }\n",
      'service.yaml': 'name: singleton-controller\ncontrollers: [./c.ts]\nhttp: { port: 0 }\n',
    });
    const host = await Host.load({ config: path.join(dir, 'service.yaml'), roles: ['http'], logger });
    let port = 0;
    await host.start({ http: async (h) => { const r = await startHttpRole(h, { port: 0 }); port = r.port; return r; } });
    try {
      const get = async (url: string) => (await http('GET', `http://127.0.0.1:${port}${url}`)).body;
      const a = await get('/one');
      const b = await get('/one');
      assert.deepEqual([a, b], [{ n: 1, built: 1 }, { n: 1, built: 1 }]);
      const m1 = await get('/many');
      const m2 = await get('/many');
      assert.ok(m2.n > m1.n, 'a scoped controller is built again per execution');
    } finally {
      await host.stop();
    }
  });

  test('a @Singleton() controller depending on a scoped provider is refused at start, naming both', async () => {
    const dir = writeService({
      'm.ts': 'export function perRequest() { return {}; }\n',
      'c.ts': "import { Get, RestController, Singleton } from 'jararaca';\n@Singleton()\n@RestController('/')\nexport class Shared { constructor({ perRequest }) { this.p = perRequest; } @Get('/') async x() { return 1; } }\n",
      'service.yaml': 'name: singleton-scoped\nproviders:\n  perRequest: { factory: ./m.ts#perRequest, lifetime: scoped }\ncontrollers: [./c.ts]\n',
    });
    const host = await Host.load({ config: path.join(dir, 'service.yaml'), roles: [], logger });
    await assert.rejects(host.start({}), /Shared needs 'perRequest', which has a shorter lifetime than 'Shared'/);
  });

  test('a singleton depending on a scoped provider is refused (it would leak one execution into all)', async () => {
    const dir = writeService({
      'm.ts': 'export function perRequest() { return {}; }\nexport function global({ perRequest }) { return { perRequest }; }\n',
      'c.ts': `import { Get, RestController } from 'jararaca';\n@RestController('/')\nexport class C { @Get('/') async x() { return 1; } }\n`,
      'service.yaml': 'name: lifetimes\nproviders:\n  perRequest: { factory: ./m.ts#perRequest, lifetime: scoped }\n  global: { factory: ./m.ts#global }\ncontrollers: [./c.ts]\n',
    });
    const host = await Host.load({ config: path.join(dir, 'service.yaml'), roles: [], logger });
    await assert.rejects(host.start({}), /provider 'global' needs 'perRequest', which has a shorter lifetime than 'global'.*Make 'global' scoped, or 'perRequest' a singleton/);
  });
});
