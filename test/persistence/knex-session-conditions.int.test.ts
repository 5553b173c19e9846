// knex-session when PostgreSQL is away: unreachable at start, lost mid-run, back again. The
// database sits behind a TCP proxy in this process that the test closes and reopens, so the
// shared PostgreSQL server keeps running for everyone else.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freePort, http, runHost, servers, spawnHost, writeService, type SpawnedHost } from '../support/host.ts';
import { eventually } from '../support/eventually.ts';
import { freshDatabase } from '../support/database.ts';
import { sessionServiceFiles } from './knex-session-suite.ts';

/** Forwards 127.0.0.1:port to PostgreSQL while open; close() also cuts the open connections. */
class TcpProxy {
  #server: Server | undefined;
  readonly #sockets = new Set<Socket>();
  constructor(
    readonly port: number,
    readonly target: { host: string; port: number },
  ) {}

  async open(): Promise<void> {
    this.#server = createServer((client) => {
      const upstream = createConnection(this.target);
      for (const s of [client, upstream]) {
        this.#sockets.add(s);
        s.on('close', () => this.#sockets.delete(s));
        s.on('error', () => s.destroy());
      }
      client.pipe(upstream).pipe(client);
    });
    this.#server.listen(this.port, '127.0.0.1');
    await once(this.#server, 'listening');
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    const server = this.#server;
    this.#server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

describe('knex-session when PostgreSQL is unreachable', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let proxy: TcpProxy;
  let host: SpawnedHost;
  let config: string;

  before(async () => {
    db = await freshDatabase('jrr_session_down');
    // Migrate directly, then point the service at the (still closed) proxy port.
    const real = new URL(servers.postgres);
    proxy = new TcpProxy(await freePort(), { host: real.hostname, port: Number(real.port || 5432) });
    const viaProxy = new URL(db.url);
    viaProxy.port = String(proxy.port);
    const dir = writeService(sessionServiceFiles(viaProxy.href, { pool: '{ max: 4, acquireTimeoutMs: 2000 }' }));
    config = path.join(dir, 'service.yaml');
    await proxy.open();
    const migrated = await runHost(['migrate', 'latest', '--config', config]);
    assert.equal(migrated.code, 0, migrated.stderr);
    await proxy.close();
  });
  after(async () => {
    await host?.stop();
    await proxy?.close();
    await db?.drop();
  });

  test('at start: one clear log line naming host:port without the password; alive but not ready; ready once the database answers', async () => {
    host = await spawnHost(config, { args: ['--role', 'http'], waitReady: false });
    const line = await host.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('database unreachable'));
    assert.match(String(line.msg), new RegExp(`database unreachable at 127\\.0\\.0\\.1:${proxy.port} \\(connection 'default'\\): .*ECONNREFUSED`));
    assert.doesNotMatch(host.output(), /jararaca:jararaca@/, 'no password in the logs');
    await eventually('/health/live', async () => ((await http('GET', `${host.url}/health/live`).catch(() => undefined))?.status === 200 ? true : undefined), { timeoutMs: 20_000 });
    const ready = await http('GET', `${host.url}/health/ready`);
    assert.equal(ready.status, 503);
    assert.equal(ready.body.checks['knex-session'].ready, false);
    assert.match(ready.body.checks['knex-session'].detail, /database unreachable at 127\.0\.0\.1:\d+/);
    // A request that needs the database fails fast with a clear 503; one that does not, works.
    const res = await http('POST', `${host.url}/items`, { name: 'while-down' });
    assert.equal(res.status, 503);
    assert.equal(res.body.code, 'JRR_DB_UNAVAILABLE');
    assert.match(res.body.message, /the database is unavailable \(connection 'default'\)/);
    assert.doesNotMatch(JSON.stringify(res.body), /127\.0\.0\.1|ECONNREFUSED/, 'no host or driver detail for HTTP clients');
    assert.equal((await http('GET', `${host.url}/nodb`)).status, 200);
    // Still retrying: the process did not exit, and the database coming up makes it ready.
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(host.child.exitCode, null);
    assert.equal(host.logs().filter((l) => String(l.msg).startsWith('database unreachable')).length, 1, 'one line, not one per retry');
    await proxy.open();
    await eventually('ready', async () => ((await http('GET', `${host.url}/health/ready`)).status === 200 ? true : undefined), { timeoutMs: 20_000 });
    assert.equal((await http('POST', `${host.url}/items`, { name: 'after-start' })).status, 201);
  });

  test('lost mid-run: requests fail with 503 JRR_DB_UNAVAILABLE, readiness drops, and both recover when it returns', async () => {
    // Open pooled connections, then cut them all.
    await Promise.all(Array.from({ length: 4 }, (_, i) => http('POST', `${host.url}/items`, { name: `before-loss-${i}` })));
    await proxy.close();
    const failed = await Promise.all(Array.from({ length: 4 }, (_, i) => http('POST', `${host.url}/items`, { name: `during-loss-${i}` })));
    for (const res of failed) {
      if (res.status !== 503) {
        // Show what the host logged: the error that was not recognized as a lost connection.
        await new Promise((r) => setTimeout(r, 300));
        assert.fail(`${res.status} instead of 503: ${JSON.stringify(res.body)}\n${JSON.stringify(host.logs().filter((l) => Number(l.level) >= 50 && l.requestId !== undefined || l.reqId !== undefined))}`);
      }
      assert.equal(res.body.code, 'JRR_DB_UNAVAILABLE');
    }
    await eventually('not ready', async () => ((await http('GET', `${host.url}/health/ready`)).status === 503 ? true : undefined), { timeoutMs: 20_000 });
    await proxy.open();
    await eventually('ready again', async () => ((await http('GET', `${host.url}/health/ready`)).status === 200 ? true : undefined), { timeoutMs: 20_000 });
    assert.equal((await http('POST', `${host.url}/items`, { name: 'after-loss' })).status, 201);
    assert.equal((await http('GET', `${host.url}/items/count?name=after-loss`)).body.count, 1);
    assert.equal((await http('GET', `${host.url}/items/count?name=during-loss-0`)).body.count, 0);
  });
});
