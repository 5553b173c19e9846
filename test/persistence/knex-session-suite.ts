// The knex-session behavioural suite, run against a real PostgreSQL (knex-session.test.ts)
// and the embedded engine (knex-session-pglite.test.ts) with the same service and assertions.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import knex from 'knex';
import { http, runHost, servers, spawnHost, uniqueName, writeService, type SpawnedHost } from '../support/host.ts';

/** A service exercising useSession(): items table, failing handlers, an inner failing interceptor, query counter. */
export function sessionServiceFiles(url: string, extra: { pool?: string } = {}): Record<string, string> {
  return {
    'service.yaml': `
name: knex-session-suite
interceptors:
  - use: knex-session
    with:
      url: ${JSON.stringify(url)}
      migrations: { directory: ./migrations, auto: false }${extra.pool ? `\n      pool: ${extra.pool}` : ''}
  - use: ./fail-after.ts
providers:
  queries:
    factory: ./counter.ts#queryCounter
controllers:
  - ./items.controller.ts
`,
    'migrations/20240101000000_items.ts': `
export async function up(knex) {
  await knex.schema.createTable('items', (t) => { t.increments('id'); t.string('name').notNullable(); t.string('txid'); });
}
export async function down(knex) { await knex.schema.dropTable('items'); }
`,
    'migrations/20240102000000_products.ts': `
export async function up(knex) {
  await knex.schema.createTable('products', (t) => {
    t.increments('id'); t.string('name').notNullable(); t.integer('price').notNullable();
    t.boolean('active').notNullable(); t.timestamp('created_at', { useTz: true }).notNullable(); t.string('note');
  });
  const rows = [];
  for (let i = 1; i <= 45; i++) rows.push({ name: (i % 3 === 0 ? 'Apple ' : 'Pear ') + String(i).padStart(2, '0') + (i === 7 ? ' 100%_off' : ''), price: i * 10, active: i % 2 === 0, created_at: new Date(Date.UTC(2024, 0, i)), note: i % 5 === 0 ? null : 'n' + i });
  await knex('products').insert(rows);
}
export async function down(knex) { await knex.schema.dropTable('products'); }
`,
    'fail-after.ts': `
import { definePlugin } from 'jararaca';
// Declared after knex-session: fails on the way out, after the handler succeeded.
export default definePlugin({ name: 'fail-after', setup() { return { async intercept(execution, next) {
  const result = await next();
  if (execution.getMetadata('failAfter')) throw new Error('fail-after interceptor failed after the handler');
  return result;
} }; } });
`,
    'counter.ts': `
// Counts every statement knex sends (BEGIN, queries, COMMIT), through the plugin's 'knex' token.
export function queryCounter({ knex }) {
  const counter = { count: 0 };
  knex.on('query', () => counter.count++);
  return counter;
}
`,
    'items.controller.ts': `
import { Get, HttpError, Post, RestController, SetMetadata } from 'jararaca';
import { crud, NoSession, ReadOnly, useSession, withNewSession } from 'jararaca/knex-session';

const products = crud('products', {
  columns: { id: 'id', name: 'name', price: 'price', active: 'active', createdAt: 'created_at', note: 'note' },
  filterable: { id: 'integer', name: 'string', price: 'integer', active: 'boolean', createdAt: 'date', note: 'string' },
  sortable: ['id', 'price', 'name', 'createdAt'],
});

@RestController('/')
export class ItemsController {
  #queries;
  constructor({ queries }) { this.#queries = queries; }

  @Post('/items', { status: 201 })
  async create(request) {
    const [row] = await useSession()('items').insert({ name: request.body.name }).returning('*');
    return row;
  }

  @Post('/items/fail')
  async createThenFail(request) {
    await useSession()('items').insert({ name: request.body.name });
    throw new HttpError(422, 'the handler failed after inserting');
  }

  @Post('/items/inner-fail')
  @SetMetadata('failAfter', true)
  async createThenInnerFail(request) {
    await useSession()('items').insert({ name: request.body.name });
    return { inserted: true };
  }

  @Post('/items/audit-then-fail')
  async auditThenFail(request) {
    // Before the execution's own transaction begins: the embedded engine has one connection.
    await withNewSession(async (trx) => {
      await trx('items').insert({ name: request.body.name + '-audit' });
      // useSession() inside withNewSession is the new transaction.
      await useSession()('items').insert({ name: request.body.name + '-audit2' });
    });
    await useSession()('items').insert({ name: request.body.name });
    throw new HttpError(409, 'failed after the independent transaction');
  }

  @Post('/items/concurrent')
  async concurrent(request) {
    const trx = useSession();
    const { rows } = await trx.raw('select txid_current()::text as txid');
    await trx('items').insert({ name: request.body.name, txid: rows[0].txid });
    // Each request sees only its own uncommitted row.
    const mine = await trx('items').where({ txid: rows[0].txid }).count({ n: '*' }).first();
    return { txid: rows[0].txid, seen: Number(mine.n) };
  }

  @Get('/items/count')
  async count(request) {
    const row = await useSession()('items').where({ name: request.query.name }).count({ n: '*' }).first();
    return { count: Number(row.n) };
  }

  @Get('/nodb')
  async nodb() { return { ok: true }; }

  @Get('/queries')
  @NoSession()
  async queries() { return { count: this.#queries.count }; }

  @Get('/nosession')
  @NoSession()
  async nosession() { return useSession()('items').count(); }

  @Post('/readonly')
  @ReadOnly()
  async readonly(request) {
    await useSession()('items').insert({ name: request.body.name });
    return { inserted: true };
  }

  @Get('/slow')
  async slow(request) {
    await useSession().raw('select 1');
    await new Promise((r) => setTimeout(r, Number(request.query.ms ?? 1500)));
    return { done: true };
  }

  @Get('/products')
  async products(request) { return products.list(request.query); }

  @Post('/items/:id/delete')
  async remove(request) { return { deleted: await crud('items').delete(Number(request.params.id)) }; }
}
`,
  };
}

export interface SuiteTarget {
  /** Name shown in the test titles. */
  engine: string;
  /** Called once: the URL (postgres://... of a fresh database, or pglite://./db). */
  url(): Promise<string>;
  cleanup(): Promise<void>;
  /** pool option of the plugin (PGlite: only acquireTimeoutMs). */
  pool: string;
  /** Connections in the pool (pool.max; PGlite: 1). */
  poolSize: number;
  /** How long /slow holds the connection in the pool test (longer than acquireTimeoutMs). */
  holdMs: number;
  /** Reads rows committed in the database (outside any host), or undefined when not possible (PGlite while the host holds it). */
  count?(name: string): Promise<number>;
}

export function knexSessionSuite(target: SuiteTarget): void {
  describe(`knex-session on ${target.engine}`, () => {
    let dir: string;
    let config: string;
    let host: SpawnedHost;
    const countItems = async (name: string) => (await http('GET', `${host.url}/items/count?name=${encodeURIComponent(name)}`)).body.count as number;

    before(async () => {
      dir = writeService(sessionServiceFiles(await target.url(), { pool: target.pool }));
      config = path.join(dir, 'service.yaml');
    });
    after(async () => {
      await host?.stop();
      await target.cleanup();
    });

    test('migrate status / latest / rollback / latest again through jararaca-host migrate', async () => {
      let r = await runHost(['migrate', 'status', '--config', config]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /pending {2}20240101000000_items\n/, "recorded and shown without the extension");
      assert.match(r.stdout, /0 applied, 2 pending/);
      r = await runHost(['migrate', 'latest', '--config', config]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /applied 2 migration\(s\)/);
      assert.doesNotMatch(r.stdout + r.stderr, /jararaca:jararaca@/, 'the password is never printed');
      r = await runHost(['migrate', 'rollback', '--config', config]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /rolled back 2 migration\(s\)/);
      r = await runHost(['migrate', 'latest', '--config', config]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /applied 2 migration\(s\)/);
      // The host starts on the migrated database.
      host = await spawnHost(config, { args: ['--role', 'http'], env: { LOG_LEVEL: 'warn' } });
    });

    test('a handler that succeeds commits its rows', async () => {
      const res = await http('POST', `${host.url}/items`, { name: 'committed' });
      assert.equal(res.status, 201);
      assert.equal(res.body.name, 'committed');
      assert.equal(await countItems('committed'), 1);
      if (target.count) assert.equal(await target.count('committed'), 1);
    });

    test('a handler that throws leaves no row, and its error reaches the client', async () => {
      const res = await http('POST', `${host.url}/items/fail`, { name: 'handler-threw' });
      assert.equal(res.status, 422);
      assert.equal(await countItems('handler-threw'), 0);
    });

    test('an interceptor declared inside knex-session failing after the handler leaves no row', async () => {
      const res = await http('POST', `${host.url}/items/inner-fail`, { name: 'inner-failed' });
      assert.equal(res.status, 500);
      assert.equal(await countItems('inner-failed'), 0);
    });

    test('withNewSession commits independently of the failing execution', async () => {
      const res = await http('POST', `${host.url}/items/audit-then-fail`, { name: 'audited' });
      assert.equal(res.status, 409);
      assert.equal(await countItems('audited'), 0);
      assert.equal(await countItems('audited-audit'), 1);
      assert.equal(await countItems('audited-audit2'), 1);
    });

    test('200 concurrent requests each run in their own transaction', async () => {
      const results = await Promise.all(Array.from({ length: 200 }, (_, i) => http('POST', `${host.url}/items/concurrent`, { name: `concurrent-${i}` })));
      for (const r of results) assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(new Set(results.map((r) => r.body.txid)).size, 200, 'every request had its own transaction');
      for (const r of results) assert.equal(r.body.seen, 1, 'a request sees only its own row');
      // Read one after another: 200 reads at once can wait past the pool's acquire timeout on a
      // loaded machine (a 503, no count), which is the pool test's subject, not this one's.
      const rows: number[] = [];
      for (let i = 0; i < 200; i++) rows.push(await countItems(`concurrent-${i}`));
      assert.deepEqual(new Set(rows), new Set([1]));
    });

    test('lazy begin: a handler that never calls useSession() sends no statement; one that does sends BEGIN, query, COMMIT', async () => {
      const queries = async () => (await http('GET', `${host.url}/queries`)).body.count as number;
      const start = await queries();
      for (let i = 0; i < 20; i++) assert.equal((await http('GET', `${host.url}/nodb`)).status, 200);
      assert.equal(await queries(), start, 'no statement for 20 executions that did not use the database');
      await countItems('nothing');
      assert.equal(await queries(), start + 3);
    });

    test('@ReadOnly() runs the handler in a read-only transaction; @NoSession() has none', async () => {
      const ro = await http('POST', `${host.url}/readonly`, { name: 'read-only' });
      assert.equal(ro.status, 500);
      assert.equal(await countItems('read-only'), 0);
      const none = await http('GET', `${host.url}/nosession`);
      assert.equal(none.status, 500);
      await host.waitForLog((line) => JSON.stringify(line).includes('marked @NoSession()'));
    });

    test('pool exhausted: a request waits acquireTimeoutMs, then 503; the others finish', async () => {
      const slow = Array.from({ length: target.poolSize }, () => http('GET', `${host.url}/slow?ms=${target.holdMs}`));
      await new Promise((r) => setTimeout(r, 300));
      const res = await http('GET', `${host.url}/items/count?name=x`);
      assert.equal(res.status, 503);
      assert.equal(res.body.code, 'JRR_DB_POOL_TIMEOUT');
      assert.match(res.body.message, /pool\.max/);
      for (const s of await Promise.all(slow)) assert.equal(s.status, 200);
      assert.equal((await http('GET', `${host.url}/items/count?name=x`)).status, 200);
    });

    test('crud().delete() says whether a row was deleted', async () => {
      const created = await http('POST', `${host.url}/items`, { name: 'to-delete' });
      assert.equal(created.status, 201);
      assert.deepEqual((await http('POST', `${host.url}/items/${created.body.id}/delete`)).body, { deleted: true });
      assert.deepEqual((await http('POST', `${host.url}/items/${created.body.id}/delete`)).body, { deleted: false });
    });

    describe('pagination and filters', () => {
      const list = async (qs: string) => http('GET', `${host.url}/products?${qs}`);
      const ids = (res: { body: { items: Array<{ id: number }> } }) => res.body.items.map((p) => p.id);

      test('defaults: page 1, pageSize 20, total over all pages, stable order by id', async () => {
        const res = await list('');
        assert.equal(res.status, 200);
        assert.deepEqual({ total: res.body.total, page: res.body.page, pageSize: res.body.pageSize }, { total: 45, page: 1, pageSize: 20 });
        assert.deepEqual(ids(res), Array.from({ length: 20 }, (_, i) => i + 1));
        const last = await list('page=3&pageSize=20');
        assert.deepEqual(ids(last), [41, 42, 43, 44, 45]);
        assert.deepEqual(ids(await list('page=4')), []);
        assert.equal(res.body.items[0].createdAt !== undefined, true, 'columns are returned under their field names');
      });

      test('sort: -price, and several keys', async () => {
        assert.deepEqual(ids(await list('sort=-price&pageSize=3')), [45, 44, 43]);
        assert.deepEqual(ids(await list('sort=name,-id&pageSize=2')), [3, 6]);
      });

      const cases: Array<[string, number[] | ((id: number) => boolean)]> = [
        ['price=30', [3]],
        ['price[eq]=30', [3]],
        ['price[ne]=30', (i) => i !== 3],
        ['price[lt]=30', [1, 2]],
        ['price[lte]=30', [1, 2, 3]],
        ['price[gt]=430', [44, 45]],
        ['price[gte]=430', [43, 44, 45]],
        ['id[in]=4,8,15', [4, 8, 15]],
        ['name[contains]=APPLE 1', [12, 15, 18]],
        ['name[contains]=100%25_', [7]],
        ['name[startsWith]=pear 0', [1, 2, 4, 5, 7, 8]],
        ['note[isNull]=true', [5, 10, 15, 20, 25, 30, 35, 40, 45]],
        ['note[isNull]=false', (i) => i % 5 !== 0],
        ['note[ne]=n1', (i) => i !== 1],
        ['active=true&price[lt]=100', [2, 4, 6, 8]],
        ['createdAt[gte]=2024-02-10T00:00:00Z', [41, 42, 43, 44, 45]],
        ['createdAt[lt]=2024-01-03', [1, 2]],
      ];
      for (const [qs, expected] of cases) {
        test(`?${qs}`, async () => {
          const res = await list(`${qs}&pageSize=100`);
          assert.equal(res.status, 200, JSON.stringify(res.body));
          const want = typeof expected === 'function' ? Array.from({ length: 45 }, (_, i) => i + 1).filter(expected) : expected;
          assert.deepEqual(ids(res), want);
          assert.equal(res.body.total, want.length);
        });
      }

      const rejected: Array<[string, RegExp]> = [
        ['color=red', /unknown query parameter 'color'.*filterable fields are id, name, price/],
        ['price[like]=3', /unknown filter operator 'like'/],
        ['active[gt]=true', /operator 'gt' does not apply to 'active' \(boolean\)/],
        ['price[contains]=3', /operator 'contains' does not apply to 'price'/],
        ['price=cheap', /'cheap' is not an integer/],
        ['createdAt[gte]=yesterday', /is not a date/],
        ['note[isNull]=maybe', /takes true or false/],
        ['sort=note', /cannot sort by 'note'; sortable fields: id, price, name, createdAt/],
        ['pageSize=101', /'pageSize' must be an integer from 1 to 100/],
        ['pageSize=0', /'pageSize' must be an integer from 1 to 100/],
        ['page=0', /'page' must be an integer from 1/],
        ['id[in]=', /needs at least one value/],
      ];
      for (const [qs, message] of rejected) {
        test(`?${qs} is a 400`, async () => {
          const res = await list(qs);
          assert.equal(res.status, 400, JSON.stringify(res.body));
          assert.match(res.body.message, message);
        });
      }
    });
  });
}
