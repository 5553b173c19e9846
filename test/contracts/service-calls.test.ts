// One jararaca service calling another: the notes example reaches the tasks example through the
// generated client provider (two spawned hosts, real HTTP), and serviceFetch's behaviour on its
// own against a real local HTTP server: retries for idempotent methods only, the timeout, the
// diagnostics channel where a telemetry plugin adds headers.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { serviceFetch, tracingChannel, UpstreamUnavailableError, type HttpClientEvent } from 'jararaca';
import { http, repoRoot, spawnHost, type SpawnedHost } from '../support/host.ts';

const embedded = { DATABASE_URL: undefined, AMQP_URL: undefined, REDIS_URL: undefined };

describe('the notes example calls the tasks example through its generated client', () => {
  let tasks: SpawnedHost;
  let notes: SpawnedHost;
  before(async () => {
    tasks = await spawnHost(path.join(repoRoot, 'examples/tasks/service.yaml'), { args: ['--role', 'http'], env: { ...embedded, TASKS_API_KEY: 'shared-api-key' }, timeoutMs: 120000 });
    notes = await spawnHost(path.join(repoRoot, 'examples/notes/service.yaml'), { env: { TASKS_URL: tasks.url, TASKS_API_KEY: 'shared-api-key' }, timeoutMs: 120000 });
  });
  after(async () => {
    await notes?.stop();
    await tasks?.stop();
  });

  test('POST /notes files a task in the tasks service; GET and DELETE reach it too', async () => {
    const created = await http('POST', `${notes.url}/notes`, { text: 'buy milk' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.task.title, 'buy milk');
    const id = created.body.task.id;
    assert.equal((await http('GET', `${tasks.url}/tasks/${id}`)).body.title, 'buy milk');
    assert.equal((await http('GET', `${notes.url}/notes/${id}`)).body.id, id);
    // The API key from notes' config goes with the call: the tasks service's guard lets it through.
    assert.equal((await http('DELETE', `${notes.url}/notes/${id}`)).status, 204);
    // The tasks service's 404 is passed on as a 404.
    const gone = await http('GET', `${notes.url}/notes/${id}`);
    assert.equal(gone.status, 404);
    assert.match(gone.body.message, /the tasks service answered 404/);
  });

  test("the incoming request id travels on to the tasks service's log", async () => {
    const requestId = `notes-${Date.now()}`;
    const created = await http('POST', `${notes.url}/notes`, { text: 'trace me' }, { 'x-request-id': requestId });
    assert.equal(created.status, 201);
    const line = await tasks.waitForLog((l) => l.reqId === requestId && typeof l.req === 'object');
    assert.equal((line.req as { url: string }).url, '/tasks');
  });
});

describe('serviceFetch', () => {
  let server: Server;
  let base: string;
  const seen: IncomingMessage[] = [];
  let answers: number[] = [];
  before(async () => {
    server = createServer((req, res) => {
      seen.push(req);
      const status = answers.shift() ?? 200;
      if (status === 0) return; // never answers: the timeout's case
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ status }));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  test('retries a GET on 503 and 502 with backoff, and answers with the first success', async () => {
    seen.length = 0;
    answers = [503, 502, 200];
    const res = await serviceFetch({ backoffMs: 1 })(new Request(`${base}/things`));
    assert.equal(res.status, 200);
    assert.equal(seen.length, 3);
  });

  test('does not retry a POST; after the retries run out the last answer is returned', async () => {
    seen.length = 0;
    answers = [503];
    assert.equal((await serviceFetch({ backoffMs: 1 })(new Request(`${base}/things`, { method: 'POST', body: '{}' }))).status, 503);
    assert.equal(seen.length, 1);
    seen.length = 0;
    answers = [503, 503];
    assert.equal((await serviceFetch({ backoffMs: 1, retries: 1 })(new Request(`${base}/things`, { method: 'PUT', body: '{"a":1}' }))).status, 503);
    assert.equal(seen.length, 2);
  });

  test('a service that does not answer in time, or is not there, is UpstreamUnavailableError (503)', async () => {
    answers = [0, 0];
    await assert.rejects(serviceFetch({ timeoutMs: 200, retries: 1, backoffMs: 1 })(new Request(`${base}/slow`)), (err: unknown) => {
      assert.ok(err instanceof UpstreamUnavailableError);
      assert.equal(err.code, 'JRR_UPSTREAM_UNAVAILABLE');
      assert.equal(err.statusCode, 503);
      assert.match(err.message, /no response within 200 ms \(attempt 2 of 2\)/);
      return true;
    });
    await assert.rejects(serviceFetch({ retries: 0 })(new Request('http://127.0.0.1:1/nothing')), UpstreamUnavailableError);
  });

  test("each attempt is published on 'jararaca:http-client:request', where a subscriber can add a header", async () => {
    seen.length = 0;
    answers = [503, 200];
    const events: HttpClientEvent[] = [];
    const channel = tracingChannel('jararaca:http-client:request');
    const handlers = {
      start: (event: HttpClientEvent) => {
        event.headers.set('traceparent', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
        events.push(event);
      },
    };
    channel.subscribe(handlers as Parameters<typeof channel.subscribe>[0]);
    try {
      await serviceFetch({ backoffMs: 1 })(new Request(`${base}/traced`));
    } finally {
      channel.unsubscribe(handlers as Parameters<typeof channel.unsubscribe>[0]);
    }
    assert.deepEqual(events.map((e) => [e.method, e.attempt, e.status]), [['GET', 1, 503], ['GET', 2, 200]]);
    assert.deepEqual(seen.map((r) => r.headers.traceparent), ['00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01']);
  });
});
