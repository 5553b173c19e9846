// The console page in Chromium (playwright-core driving Debian's /usr/bin/chromium) over a real
// fleet (http, worker, scheduler processes; PostgreSQL, RabbitMQ): 50 dead letters of two kinds
// of error; an operator filters one kind, requeues all matching, sees the counts change and the
// handler run them; a viewer sees no action buttons and gets 403 from the API. Writes a
// screenshot of each page to docs/console/ for docs/console.md.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import pg from 'pg';
import { WebSocket } from 'ws';
import { freePort, http, repoRoot, servers, spawnHost, tempDir, uniqueName, type SpawnedHost } from '../support/host.ts';
import { eventually } from '../support/eventually.ts';
import { deleteBrokerObjects } from '../support/broker.ts';
import { fleetService, publishPlaced } from './console-fleet.service.ts';
import { watchRoom } from './live-endpoint.ts';

const database = uniqueName('jrr_browser');
const dbUrl = (() => {
  const u = new URL(servers.postgres);
  u.pathname = `/${database}`;
  return u.toString();
})();
const shots = path.join(repoRoot, 'docs/console');
const name = uniqueName('console-browser').replace(/_/g, '-');
const exchange = uniqueName('jrr_browser_ex');
const work = tempDir();
const fixedFile = path.join(work, 'fixed');
const journal = path.join(work, 'journal');
const env = { TEST_DB_URL: dbUrl, REDIS_URL: servers.redis, AMQP_URL: servers.amqp, CONSOLE_VIEWER: 'vera:viewer-pass', CONSOLE_OPERATOR: 'olga:operator-pass' };
const procs: SpawnedHost[] = [];
const sockets: WebSocket[] = [];
let web: SpawnedHost;
let browser: Browser;

before(async () => {
  const admin = new pg.Client({ connectionString: servers.postgres });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  await admin.end();
  const dir = fleetService(name, { exchange, engine: 'postgres', redisPrefix: `${name}:`, fixedFile, journal, websocket: true });
  for (const role of ['worker', 'scheduler']) procs.push(await spawnHost(`${dir}/service.yaml`, { args: ['--role', role, '--health-port', String(await freePort())], waitReady: false, env }));
  await procs[0].waitForLog((l) => String(l.msg) === 'consuming', 30_000);
  web = await spawnHost(`${dir}/service.yaml`, { args: ['--role', 'http'], env });
  procs.push(web);
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
  mkdirSync(shots, { recursive: true });
});

after(async () => {
  for (const s of sockets) s.close();
  await browser?.close();
  await Promise.all(procs.map((p) => p.stop()));
  await deleteBrokerObjects(name, [exchange]);
  const admin = new pg.Client({ connectionString: servers.postgres });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin.end();
  rmSync(work, { recursive: true, force: true });
});

async function open(user: string, password: string): Promise<{ page: Page; foreign: string[] }> {
  const context = await browser.newContext({ httpCredentials: { username: user, password }, viewport: { width: 1360, height: 860 } });
  const page = await context.newPage();
  const foreign: string[] = [];
  page.on('request', (r) => {
    if (!r.url().startsWith(web.url)) foreign.push(r.url());
  });
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  Object.assign(page, { errors });
  return { page, foreign };
}

const watch = (room: string) => watchRoom(web.url, sockets, room);

test('an operator filters one kind of dead letter, requeues all matching, and the handler runs them; every page renders (screenshots)', async () => {
  await publishPlaced(exchange, Array.from({ length: 50 }, (_, i) => ({ id: `o${i}`, kind: i % 2 ? 'invalid' : 'timeout' })));
  await eventually('50 dead letters', async () => (await http('GET', `${web.url}/_console/api/dead-letters?handler=orders`, undefined, { authorization: `Basic ${Buffer.from('vera:viewer-pass').toString('base64')}` })).body.total === 50, { timeoutMs: 20_000 });
  await watch('order:1');
  await watch('order:1');
  await watch('order:2');
  const { page, foreign } = await open('olga', 'operator-pass');

  await page.goto(`${web.url}/_console/#overview`);
  await page.getByText('Signed in as olga (operator)').waitFor();
  await page.getByRole('cell', { name: 'scheduler', exact: true }).waitFor();
  await page.getByRole('heading', { name: 'message', exact: true }).waitFor({ timeout: 15_000 });
  await page.screenshot({ path: path.join(shots, 'overview.png'), fullPage: true });

  await page.getByRole('link', { name: 'Handlers' }).click();
  await page.getByRole('cell', { name: `${name}.orders` }).waitFor();
  await page.screenshot({ path: path.join(shots, 'handlers.png'), fullPage: true });

  await page.getByRole('link', { name: 'Dead letters' }).click();
  await page.getByText('50 dead letter(s) match').waitFor();
  await page.getByLabel('Error contains').fill('upstream timeout');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.getByText('25 dead letter(s) match').waitFor();
  await page.getByRole('button', { name: 'View m-o0' }).click();
  await page.getByRole('heading', { name: 'Dead letter m-o0' }).waitFor();
  await page.screenshot({ path: path.join(shots, 'dead-letters.png'), fullPage: true });

  writeFileSync(fixedFile, '');
  await page.getByRole('button', { name: 'Requeue all matching (25)' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByText('Requeue all 25 dead letter(s) matching the search of orders?').waitFor();
  await dialog.getByRole('button', { name: 'Requeue' }).click();
  await page.getByRole('status').getByText(`Requeued 25 dead letter(s); 25 left in ${name}.orders.dlq`).waitFor();
  await page.getByText('0 dead letter(s) match').waitFor();
  await eventually('the handler ran the 25', async () => {
    const ran = new Set(readFileSync(journal, 'utf8').split('\n').filter(Boolean));
    return Array.from({ length: 25 }, (_, i) => `o${i * 2}`).every((id) => ran.has(id));
  }, { timeoutMs: 20_000 });
  await page.getByLabel('Error contains').fill('');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.getByText('25 dead letter(s) match').waitFor();

  await page.getByRole('link', { name: 'Scheduled' }).click();
  await page.getByRole('button', { name: 'History of sweep' }).click();
  await page.getByRole('heading', { name: 'History of sweep' }).waitFor();
  await page.getByRole('button', { name: 'Run sweep now' }).waitFor();
  await page.screenshot({ path: path.join(shots, 'scheduled.png'), fullPage: true });

  await page.getByRole('link', { name: 'WebSocket' }).click();
  await page.getByRole('cell', { name: 'order:1' }).waitFor({ timeout: 15_000 });
  await page.screenshot({ path: path.join(shots, 'websocket.png'), fullPage: true });

  await page.getByRole('link', { name: 'Routes' }).click();
  await page.getByRole('cell', { name: '/orders/count' }).waitFor();
  await page.screenshot({ path: path.join(shots, 'routes.png'), fullPage: true });

  assert.deepEqual(foreign, [], 'no third-party requests');
  assert.deepEqual((page as unknown as { errors: string[] }).errors, []);
});

test('a viewer sees no action buttons, and the API answers 403 to their actions', async () => {
  const { page } = await open('vera', 'viewer-pass');
  await page.goto(`${web.url}/_console/#dead-letters`);
  await page.getByText('Signed in as vera (viewer)').waitFor();
  await page.getByText(/\d+ dead letter\(s\) match/).waitFor();
  for (const label of [/Requeue/, /Purge/]) assert.equal(await page.getByRole('button', { name: label }).count(), 0);
  assert.equal(await page.getByRole('checkbox').count(), 0);
  await page.goto(`${web.url}/_console/#scheduled`);
  await page.getByRole('button', { name: 'History of sweep' }).waitFor();
  for (const label of [/Run .* now/, /Pause/, /Resume/]) assert.equal(await page.getByRole('button', { name: label }).count(), 0);
  const status = await page.evaluate(async () => (await fetch(`${document.documentElement.dataset.api}/dead-letters/requeue`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ handler: 'orders', filter: {} }) })).status);
  assert.equal(status, 403);
  const run = await page.evaluate(async () => (await fetch(`${document.documentElement.dataset.api}/scheduled/sweep/run`, { method: 'POST' })).status);
  assert.equal(run, 403);
});
