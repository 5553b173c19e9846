// The tasks example in its production shape serving the console: examples/tasks as is (copied
// with the run's own names, test/faults/tasks-service.ts), http, worker and scheduler processes on
// PostgreSQL, RabbitMQ and Redis, with CONSOLE_VIEWER and CONSOLE_OPERATOR set as its docs say.
// The page loads in Chromium with every process in the overview, the API answers with Basic
// credentials (a viewer's action gets 403); without the variables the console is off: 404.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { freePort, http, spawnHost, type SpawnedHost } from '../support/host.ts';
import { startTasksService, type TasksService } from '../faults/tasks-service.ts';

const basic = (userPass: string) => ({ authorization: `Basic ${Buffer.from(userPass).toString('base64')}` });
const credentials = { CONSOLE_VIEWER: 'vera:viewer-pass', CONSOLE_OPERATOR: 'olga:operator-pass' };

let svc: TasksService;
let web: SpawnedHost;
let browser: Browser | undefined;
const hosts: SpawnedHost[] = [];

before(async () => {
  svc = await startTasksService('console_tasks');
  const env = { ...svc.env(), ...credentials };
  for (const role of ['worker', 'scheduler']) hosts.push(await spawnHost(svc.config, { args: ['--role', role, '--health-port', String(await freePort())], waitReady: false, env, timeoutMs: 60_000 }));
  await hosts[0].waitForLog((l) => l.msg === 'consuming' && l.handler === 'markDone', 60_000);
  web = await spawnHost(svc.config, { args: ['--role', 'http'], env, timeoutMs: 60_000 });
  hosts.push(web);
});

after(async () => {
  await browser?.close();
  await Promise.allSettled(hosts.map((h) => h.stop()));
  await svc?.close();
});

test('the page loads in Chromium, every process of the fleet in its overview, no third-party request', async () => {
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
  const context = await browser.newContext({ httpCredentials: { username: 'olga', password: 'operator-pass' } });
  const page = await context.newPage();
  const foreign: string[] = [];
  const errors: string[] = [];
  page.on('request', (r) => !r.url().startsWith(web.url) && foreign.push(r.url()));
  page.on('pageerror', (err) => errors.push(err.message));
  await page.goto(`${web.url}/_console/`);
  await page.getByText('Signed in as olga (operator)').waitFor();
  for (const role of ['http', 'worker', 'scheduler']) await page.getByRole('cell', { name: role, exact: true }).first().waitFor({ timeout: 20_000 });
  await page.getByRole('link', { name: 'Scheduled' }).click();
  await page.getByRole('button', { name: 'Run republishStaleTasks now' }).waitFor();
  await page.getByRole('link', { name: 'Routes' }).click();
  await page.getByRole('cell', { name: '/tasks/:id' }).first().waitFor();
  assert.deepEqual(foreign, []);
  assert.deepEqual(errors, []);
});

test('the API answers with Basic credentials; a viewer gets 403 for an action', async () => {
  assert.equal((await http('GET', `${web.url}/_console/api/me`)).status, 401);
  assert.deepEqual((await http('GET', `${web.url}/_console/api/me`, undefined, basic(credentials.CONSOLE_OPERATOR))).body, { name: 'olga', role: 'operator' });
  const handlers = await http('GET', `${web.url}/_console/api/handlers`, undefined, basic(credentials.CONSOLE_VIEWER));
  assert.equal(handlers.status, 200);
  assert.equal(handlers.body.transport, 'amqp');
  assert.ok(handlers.body.handlers.some((h: { queue: string; consumers: number | null }) => h.queue === `${svc.name}.markDone` && h.consumers === 1));
  const scheduled = await http('GET', `${web.url}/_console/api/scheduled`, undefined, basic(credentials.CONSOLE_VIEWER));
  assert.deepEqual(scheduled.body.actions.map((a: { name: string }) => a.name), ['republishStaleTasks']);
  assert.equal((await http('POST', `${web.url}/_console/api/scheduled/republishStaleTasks/pause`, undefined, basic(credentials.CONSOLE_VIEWER))).status, 403);
  // The console's API is in the example's OpenAPI document beside its own routes.
  const doc = (await http('GET', `${web.url}/openapi.json`)).body;
  assert.ok(doc.paths['/tasks'] && doc.paths['/_console/api/scheduled']);
  assert.ok(doc.components.securitySchemes.apiKey && doc.components.securitySchemes.consoleBasic);
});

test('without CONSOLE_VIEWER and CONSOLE_OPERATOR the console is off: 404', async () => {
  const off = await svc.http();
  hosts.push(off);
  assert.equal((await http('GET', `${off.url}/_console/api/me`, undefined, basic(credentials.CONSOLE_OPERATOR))).status, 404);
  assert.equal((await fetch(`${off.url}/_console/`)).status, 404);
  assert.equal(off.logs().filter((l) => String(l.msg).startsWith('console: off')).length, 1);
  assert.ok(!Object.keys((await http('GET', `${off.url}/openapi.json`)).body.paths).some((p) => p.startsWith('/_console')));
});
