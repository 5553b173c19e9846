// The console on a spawned jararaca-host (every role in one process, embedded engines): off
// without credentials; HTTP Basic or a bearer token; a viewer reads and gets 403 for actions;
// an operator runs an action now (through the onion, in the history, logged with who) and
// pauses it (no more fires) and resumes it.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { http, spawnHost, writeService, type SpawnedHost } from '../support/host.ts';
import { eventually } from '../support/eventually.ts';

const basic = (userPass: string) => ({ authorization: `Basic ${Buffer.from(userPass).toString('base64')}` });
const VIEWER = basic('vera:viewer-pass');
const OPERATOR = basic('olga:operator-pass');

const files: Record<string, string> = {
  'service.yaml': `name: console-svc
interceptors:
  - use: console
    with:
      viewer: \${CONSOLE_VIEWER:-}
      operator: \${CONSOLE_OPERATOR:-}
      operatorToken: \${CONSOLE_TOKEN:-}
  - use: ./seen.ts
controllers:
  - ./jobs.ts
`,
  // An interceptor: run now goes through the onion like a scheduled fire.
  'seen.ts': `import { definePlugin } from 'jararaca';
export const seen: string[] = [];
export default definePlugin({ name: 'seen', setup: () => ({ intercept: (execution, next) => { if (execution.kind === 'scheduled') seen.push(execution.handler.name); return next(); } }) });
`,
  'jobs.ts': `import { Get, RestController, ScheduledAction, type ScheduledFire } from 'jararaca';
import { seen } from './seen.ts';
const fires: Array<{ slot: string }> = [];
@RestController('/jobs')
export class Jobs {
  @ScheduledAction('* * * * * *', { name: 'tick' })
  async tick(fire: ScheduledFire) { fires.push({ slot: fire.slot.toISOString() }); }
  @Get('/fires') list() { return { fires: fires.length, seen: seen.length }; }
  @Get('/fires/:n', { schema: { operationId: 'oneFire', params: { type: 'object', properties: { n: { type: 'integer' } } }, response: { 200: { type: 'object', properties: { slot: { type: 'string' } } } } } })
  one(request: { params: { n: number } }) { return fires[request.params.n] ?? {}; }
}
`,
};
const dir = writeService(files);

let host: SpawnedHost;
before(async () => {
  host = await spawnHost(`${dir}/service.yaml`, { args: ['--role', 'all'], env: { CONSOLE_VIEWER: 'vera:viewer-pass', CONSOLE_OPERATOR: 'olga:operator-pass', CONSOLE_TOKEN: 'a-long-operator-token-1234' } });
});
after(async () => {
  await host?.stop();
});

test('without credentials the console is off, said once in the log', async () => {
  const off = await spawnHost(`${dir}/service.yaml`, { args: ['--role', 'all'], env: { CONSOLE_VIEWER: '', CONSOLE_OPERATOR: '', CONSOLE_TOKEN: '' } });
  try {
    assert.equal((await http('GET', `${off.url}/_console/api/me`, undefined, OPERATOR)).status, 404);
    const doc = (await http('GET', `${off.url}/openapi.json`)).body;
    assert.deepEqual(Object.keys(doc.paths), ['/jobs/fires', '/jobs/fires/{n}'], 'no console operations');
    assert.deepEqual(doc.components.securitySchemes, {});
    assert.equal(off.logs().filter((l) => String(l.msg).startsWith('console: off')).length, 1);
  } finally {
    await off.stop();
  }
});

test('no or wrong credentials: 401 with a Basic challenge; Basic and bearer tokens log in', async () => {
  const none = await http('GET', `${host.url}/_console/api/me`);
  assert.equal(none.status, 401);
  assert.match(none.headers.get('www-authenticate') ?? '', /^Basic realm=/);
  assert.equal((await http('GET', `${host.url}/_console/api/me`, undefined, basic('olga:wrong'))).status, 401);
  assert.deepEqual((await http('GET', `${host.url}/_console/api/me`, undefined, VIEWER)).body, { name: 'vera', role: 'viewer' });
  assert.deepEqual((await http('GET', `${host.url}/_console/api/me`, undefined, { authorization: 'Bearer a-long-operator-token-1234' })).body, { name: 'operator token', role: 'operator' });
  const page = await fetch(`${host.url}/_console`, { headers: VIEWER });
  assert.equal(page.status, 200);
  assert.match(await page.text(), /jararaca console/);
  const script = await fetch(`${host.url}/_console/assets/console.js`, { headers: VIEWER });
  assert.equal(script.status, 200);
  assert.match(script.headers.get('content-type') ?? '', /^text\/javascript/);
  assert.equal((await fetch(`${host.url}/_console/assets/..%2Fpage.ts`, { headers: VIEWER })).status, 404);
});

test('a viewer sees the actions and routes, and gets 403 for every action', async () => {
  const list = await http('GET', `${host.url}/_console/api/scheduled`, undefined, VIEWER);
  assert.equal(list.status, 200);
  const tick = list.body.actions.find((a: { name: string }) => a.name === 'tick');
  assert.equal(tick.cron, '* * * * * *');
  assert.equal(tick.timezone, 'UTC');
  assert.equal(tick.next.length, 3);
  const routes = await http('GET', `${host.url}/_console/api/routes`, undefined, VIEWER);
  assert.deepEqual(routes.body.map((r: { method: string; url: string }) => `${r.method} ${r.url}`), ['GET /jobs/fires', 'GET /jobs/fires/:n']);
  // From the OpenAPI document (served by default): the operation with its parameters and responses.
  const one = routes.body[1];
  assert.equal(one.source, 'openapi');
  assert.equal(one.handler, 'Jobs.one');
  assert.equal(one.operationId, 'oneFire');
  assert.deepEqual(one.request.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`), ['path:n']);
  assert.deepEqual(one.responses['200'].content['application/json'].schema.properties, { slot: { type: 'string' } });
  for (const verb of ['run', 'pause', 'resume']) {
    assert.equal((await http('POST', `${host.url}/_console/api/scheduled/tick/${verb}`, undefined, VIEWER)).status, 403, verb);
  }
  assert.ok(host.logs().some((l) => String(l.msg).includes('vera (viewer) was refused run tick')));
});

test('without an OpenAPI document (http.openapi: false) the routes come from the handler registry', async () => {
  const plain = writeService({ ...files, 'service.yaml': `${files['service.yaml']}http:\n  openapi: false\n` });
  const h = await spawnHost(`${plain}/service.yaml`, { args: ['--role', 'all'], env: { CONSOLE_VIEWER: 'vera:viewer-pass' } });
  try {
    assert.equal((await http('GET', `${h.url}/openapi.json`)).status, 404);
    const routes = (await http('GET', `${h.url}/_console/api/routes`, undefined, VIEWER)).body;
    assert.deepEqual(routes.map((r: { method: string; url: string; source: string }) => `${r.source} ${r.method} ${r.url}`), ['handlers GET /jobs/fires', 'handlers GET /jobs/fires/:n']);
    assert.equal(routes[1].operationId, 'oneFire');
    assert.deepEqual(routes[1].request.params, { type: 'object', properties: { n: { type: 'integer' } } });
    assert.deepEqual(routes[1].responses['200'], { type: 'object', properties: { slot: { type: 'string' } } });
  } finally {
    await h.stop();
  }
});

test("the console's API is in the OpenAPI document: operations with their ids, schemas and security scheme", async () => {
  const doc = (await http('GET', `${host.url}/openapi.json`)).body;
  assert.deepEqual(doc.components.securitySchemes.consoleBasic, { type: 'http', scheme: 'basic', description: "The operations console's HTTP Basic credentials (viewer or operator)." });
  assert.equal(doc.components.securitySchemes.consoleBearer.scheme, 'bearer');
  const run = doc.paths['/_console/api/scheduled/{name}/run'].post;
  assert.equal(run.operationId, 'consoleRunActionNow');
  assert.deepEqual(run.tags, ['console']);
  assert.deepEqual(run.security, [{ consoleBasic: [] }, { consoleBearer: [] }]);
  assert.deepEqual(run.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`), ['path:name']);
  assert.ok(run.responses['200'].content['application/json'].schema.properties.outcome);
  assert.ok(run.responses['401'] && run.responses['403']);
  const search = doc.paths['/_console/api/dead-letters'].get;
  assert.ok(search.parameters.some((p: { name: string; required?: boolean }) => p.name === 'handler' && p.required));
  assert.ok(doc.paths['/_console/api/dead-letters/requeue'].post.requestBody.content['application/json'].schema.properties.filter);
  // The page and its files are not operations.
  assert.ok(!Object.keys(doc.paths).some((p) => p === '/_console/' || p.includes('/assets/') || p.includes('/vendor/')));
  const ids = Object.values(doc.paths as Record<string, Record<string, { operationId: string }>>).flatMap((item) => Object.values(item).map((op) => op.operationId));
  assert.equal(new Set(ids).size, ids.length, 'operation ids are unique');
  // A reply is not cut to its documented schema.
  assert.deepEqual(Object.keys((await http('GET', `${host.url}/_console/api/me`, undefined, VIEWER)).body).sort(), ['name', 'role']);
});

test('an operator runs an action now: through the onion, in the history, logged with who', async () => {
  const before = (await http('GET', `${host.url}/jobs/fires`)).body;
  const run = await http('POST', `${host.url}/_console/api/scheduled/tick/run`, undefined, OPERATOR);
  assert.equal(run.status, 200);
  assert.equal(run.body.outcome, 'ok');
  assert.equal(run.body.trigger, 'manual');
  assert.equal(run.body.by, 'olga');
  const afterRun = (await http('GET', `${host.url}/jobs/fires`)).body;
  assert.ok(afterRun.seen > before.seen, 'the interceptor saw the run');
  const history = await http('GET', `${host.url}/_console/api/scheduled/tick/runs?limit=200`, undefined, VIEWER);
  assert.ok(history.body.runs.some((r: { trigger: string; by?: string }) => r.trigger === 'manual' && r.by === 'olga'));
  await eventually('scheduled fires in the history', async () =>
    (await http('GET', `${host.url}/_console/api/scheduled/tick/runs`, undefined, VIEWER)).body.runs.some((r: { trigger: string; replica: string }) => r.trigger === 'schedule' && r.replica.endsWith(`:${host.child.pid}`)),
  );
  const line = host.logs().find((l) => (l.console as { action?: string } | undefined)?.action === 'ran');
  assert.deepEqual({ ...(line?.console as object), durationMs: 0 }, { user: 'olga', role: 'operator', action: 'ran', target: 'tick', outcome: 'ok', durationMs: 0 });
  assert.equal((await http('POST', `${host.url}/_console/api/scheduled/nope/run`, undefined, OPERATOR)).status, 404);
});

test('pause stops the fires, resume restarts them', async () => {
  const paused = await http('POST', `${host.url}/_console/api/scheduled/tick/pause`, undefined, OPERATOR);
  assert.equal(paused.body.paused.by, 'olga');
  // A slot already past its check may still finish: count from a moment after the pause.
  await new Promise((r) => setTimeout(r, 1500));
  const at = (await http('GET', `${host.url}/jobs/fires`)).body.fires;
  await new Promise((r) => setTimeout(r, 2500));
  assert.equal((await http('GET', `${host.url}/jobs/fires`)).body.fires, at, 'no fire while paused');
  const list = await http('GET', `${host.url}/_console/api/scheduled`, undefined, VIEWER);
  assert.equal(list.body.actions[0].paused.by, 'olga');
  await http('POST', `${host.url}/_console/api/scheduled/tick/resume`, undefined, OPERATOR);
  await eventually('fires again after resume', async () => (await http('GET', `${host.url}/jobs/fires`)).body.fires > at);
});
