// The PostgreSQL-specific bad input of test/http/bad-input.test.ts, against a real PostgreSQL:
// NUL in text, invalid Unicode, dates out of timestamptz's range are 400s naming the field, and
// a value the server itself refuses (SQLSTATE class 22) is a 400 JRR_DB_INVALID_VALUE, not a 500.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { http, servers, spawnHost, uniqueName, writeService, type SpawnedHost } from '../support/host.ts';

const database = uniqueName('bad_input');
const databaseUrl = (() => {
  const url = new URL(servers.postgres);
  url.pathname = `/${database}`;
  return url.toString();
})();

describe('bad input on PostgreSQL', () => {
  const admin = new pg.Client({ connectionString: servers.postgres });
  let host: SpawnedHost;
  before(async () => {
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    const dir = writeService({
      'service.yaml': `
name: badpg
interceptors:
  - use: knex-session
    with: { url: "\${DATABASE_URL}" }
controllers: [./notes.ts]
`,
      'notes.ts': `
import type { FastifyRequest } from 'fastify';
import { Get, Post, RestController } from 'jararaca';
import { crud, useSession } from 'jararaca/knex-session';
const notes = crud<{ id: number; body: string; at: string }>('notes', { filterable: { body: 'string', at: 'date', kind: { enum: ['a', 'b'] } } });
@RestController('/notes')
export class Notes {
  // No schema on purpose: the body reaches the database as sent (after the HTTP role's checks).
  @Post('/', { status: 201 })
  async create(request: FastifyRequest<{ Body: { body: string; at?: string } }>) {
    await useSession().raw('create table if not exists notes (id serial primary key, body text not null, at timestamptz not null default now(), kind text)');
    const [row] = await useSession()('notes').insert({ body: request.body.body, at: request.body.at ?? new Date().toISOString() }, ['id']);
    return row;
  }
  @Get('/')
  async list(request: FastifyRequest<{ Querystring: Record<string, unknown> }>) {
    await useSession().raw('create table if not exists notes (id serial primary key, body text not null, at timestamptz not null default now(), kind text)');
    return notes.list(request.query);
  }
}
`,
    });
    host = await spawnHost(path.join(dir, 'service.yaml'), { env: { DATABASE_URL: databaseUrl } });
  });
  after(async () => {
    await host?.stop();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
  });

  test('NUL and invalid Unicode in a body, a query filter or a LIKE pattern are 400s naming the field', async () => {
    for (const body of ['{"body":"a\\u0000b"}', '{"body":"a\\ud800"}']) {
      const res = await http('POST', `${host.url}/notes`, body);
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.match(res.body.message, /'body'/);
    }
    for (const q of ['body=%00', 'body%5Bcontains%5D=%00', 'kind=%00', 'kind=c']) {
      const res = await http('GET', `${host.url}/notes?${q}`);
      assert.equal(res.status, 400, `${q}: ${JSON.stringify(res.body)}`);
      assert.match(res.body.message, /'(body|kind)'/, q);
    }
  });

  test('dates outside timestamptz are 400s: in a filter, and (from the server) in a body', async () => {
    const filter = await http('GET', `${host.url}/notes?at%5Bgte%5D=99999-01-01`);
    assert.equal(filter.status, 400);
    assert.match(filter.body.message, /'at'.*out of range/);
    // Not checked by the route: PostgreSQL refuses it (SQLSTATE 22008/22009), mapped to a 400.
    const stored = await http('POST', `${host.url}/notes`, { body: 'x', at: '+099999-01-01T00:00:00.000Z' });
    assert.equal(stored.status, 400, JSON.stringify(stored.body));
    assert.equal(stored.body.code, 'JRR_DB_INVALID_VALUE');
    const ok = await http('POST', `${host.url}/notes`, { body: 'fine 😀' });
    assert.equal(ok.status, 201);
    assert.equal((await http('GET', `${host.url}/health/ready`)).status, 200);
  });
});
