// knex-session's declaration checks and several connections in one service (embedded engine).
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { http, runHost, spawnHost, writeService, type SpawnedHost } from '../support/host.ts';

describe('knex-session declaration', () => {
  test('bad url, pool on the embedded engine, duplicate connection and auto without directory are reported together with line and column', async () => {
    const dir = writeService({
      'service.yaml': `name: bad
interceptors:
  - use: knex-session
    with:
      url: mysql://root@localhost/db
  - use: knex-session
    with:
      url: pglite://memory
      pool: { max: 3 }
      migrations: { auto: true }
  - use: knex-session
    with:
      connection: other
      url: postgres://u:secret@db:5432/x
      pool: { min: 5, max: 2 }
`,
    });
    const r = await runHost(['validate', '--config', path.join(dir, 'service.yaml')]);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /service\.yaml:5:\d+ interceptors\[0\]\.with\.url: must start with postgres:\/\//);
    assert.match(r.stderr, /interceptors\[1\]\.with\.pool\.max: the embedded engine \(pglite:\/\/\) has exactly one connection/);
    assert.match(r.stderr, /interceptors\[1\]\.with\.connection|interceptors\[1\]\.with: .*connection 'default'|another knex-session entry already declares the connection 'default'/);
    assert.match(r.stderr, /interceptors\[1\]\.with\.migrations: auto: true needs a directory/);
    assert.match(r.stderr, /interceptors\[2\]\.with\.pool\.min: must not exceed pool\.max/);
    assert.doesNotMatch(r.stderr, /secret/);
  });
});

describe('several knex-session connections', () => {
  let host: SpawnedHost;
  after(async () => {
    await host?.stop();
  });

  test("useSession('audit') is the second connection's transaction; an unknown connection names the declared ones; 'knex:audit' is a capability", async () => {
    const dir = writeService({
      'service.yaml': `name: two
interceptors:
  - use: knex-session
    with: { url: "pglite://memory" }
  - use: knex-session
    with: { connection: audit, url: "pglite://memory" }
  - use: ./probe.ts
controllers:
  - ./c.ts
`,
      'probe.ts': `
import { definePlugin } from 'jararaca';
export default definePlugin({ name: 'probe', setup(ctx) { return { start() { globalThis.__auditCapability = typeof ctx.capability('knex:audit')?.raw; } }; } });
`,
      'c.ts': `
import { Get, RestController } from 'jararaca';
import { useSession } from 'jararaca/knex-session';
@RestController('/')
export class C {
  @Get('/both') async both() {
    await useSession().raw('create table a (x int)');
    await useSession('audit').raw('create table b (x int)');
    const inDefault = await useSession().raw("select count(*)::int as n from pg_tables where tablename in ('a','b')");
    const inAudit = await useSession('audit').raw("select count(*)::int as n from pg_tables where tablename in ('a','b')");
    return { inDefault: inDefault.rows[0].n, inAudit: inAudit.rows[0].n, capability: globalThis.__auditCapability };
  }
  @Get('/unknown') async unknown() { return useSession('reports').raw('select 1'); }
}
`,
    });
    host = await spawnHost(path.join(dir, 'service.yaml'), { args: ['--role', 'http'], env: { LOG_LEVEL: 'warn' } });
    const res = await http('GET', `${host.url}/both`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body, { inDefault: 1, inAudit: 1, capability: 'function' });
    assert.equal((await http('GET', `${host.url}/unknown`)).status, 500);
    await host.waitForLog((l) => JSON.stringify(l).includes("no knex-session plugin declares the connection 'reports' (declared: default, audit)"));
  });
});
