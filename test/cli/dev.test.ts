// `jararaca-host dev` on a copy of the tasks example: a change of a controller is served after a
// restart, with the embedded database's rows kept; a change that does not load is reported and
// the previous version keeps serving; the fix is served.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { eventually } from '../support/eventually.ts';
import { freePort, hostCommand, http, repoRoot, writeService } from '../support/host.ts';

test('dev restarts on a change, keeps serving the previous version through a broken one, and keeps the data', async () => {
  const dir = writeService({});
  cpSync(path.join(repoRoot, 'examples/tasks'), dir, { recursive: true });
  const controller = path.join(dir, 'tasks.controller.ts');
  const original = readFileSync(controller, 'utf8');
  const listLine = '    return this.#tasks.list(request.query);';
  assert.ok(original.includes(listLine));
  const withPage = (page: number) => original.replace(listLine, `    return { ...(await this.#tasks.list(request.query)), page: ${page} };`);

  const port = await freePort();
  const child = spawn(process.execPath, [...hostCommand(), 'dev', '--config', path.join(dir, 'service.yaml'), '--port', String(port)], {
    cwd: repoRoot,
    env: { ...process.env, LOG_LEVEL: 'warn', DATABASE_URL: undefined, AMQP_URL: undefined, REDIS_URL: undefined },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const url = `http://127.0.0.1:${port}`;
  const page = async () => {
    const res = await http('GET', `${url}/tasks`);
    return res.status === 200 ? (res.body as { page: number; items: Array<{ title: string }> }) : undefined;
  };
  try {
    await eventually('the first version serving', page, { timeoutMs: 60_000, intervalMs: 200 });
    assert.equal((await http('POST', `${url}/tasks`, { title: 'milk' })).status, 201);

    writeFileSync(controller, withPage(7));
    const changed = await eventually('the changed controller served', async () => ((await page())?.page === 7 ? await page() : undefined), { timeoutMs: 60_000, intervalMs: 200 });
    assert.deepEqual(changed?.items.map((t) => t.title), ['milk'], 'the embedded database kept its rows across the restart');

    const reported = out.length;
    writeFileSync(controller, withPage(7) + '\nexport const broken = ;\n');
    await eventually('the broken version reported', () => out.slice(reported).includes('does not load'), { timeoutMs: 60_000, intervalMs: 200 });
    assert.match(out.slice(reported), /tasks\.controller\.ts/);
    assert.equal((await page())?.page, 7, 'the previous version still serves');

    writeFileSync(controller, withPage(8));
    await eventually('the fixed controller served', async () => (await page())?.page === 8, { timeoutMs: 60_000, intervalMs: 200 });
    assert.ok(existsSync(path.join(dir, '.jararaca/pglite-default')), 'pglite://memory is a folder under .jararaca/ in dev');
  } finally {
    if (child.exitCode === null) child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    assert.equal(code, 0, out);
  }
});
