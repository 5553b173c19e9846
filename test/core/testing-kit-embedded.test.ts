// createTestHost starts the embedded database before it loads the framework, on a guess from the
// declaration's text (host/testing/embedded.ts). A database nobody takes must not keep the test's
// process alive, and a test whose env names another database starts none.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { repoRoot } from '../support/host.ts';

/** Runs a test host in a process of its own; returns its exit code, and what it printed. */
function runKit(env: Record<string, string> | undefined): Promise<{ code: number | null; out: string; err: string }> {
  // A declaration that names DATABASE_URL (in its config) but runs no knex-session.
  const script = `
    import { createTestHost } from 'jararaca/testing';
    import { databaseChildren } from './test/support/processes.ts';
    const host = await createTestHost({ name: 'no-database', config: { dsn: '\${DATABASE_URL:-none}' } }, { env: ${JSON.stringify(env)} });
    console.log('database processes: ' + databaseChildren(process.pid).length);
    await host.close();
    console.log('closed');`;
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', '--input-type=module', '-e', script], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) => child.on('exit', (code) => (clearTimeout(killer), resolve({ code, out, err }))));
}

test('a database started for a declaration that names DATABASE_URL but uses none: the process still ends by itself', async () => {
  const { code, out, err } = await runKit(undefined);
  assert.match(out, /database processes: 1\n/);
  assert.match(out, /closed\n/);
  assert.equal(code, 0); // not killed after 60 s: nothing kept it alive
  assert.doesNotMatch(err, /Error/); // nor did the database's process, let go while it started, print a stack
});

test('a test whose env names another database: no embedded database is started', async () => {
  const { code, out, err } = await runKit({ DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' });
  assert.match(out, /database processes: 0\n/);
  assert.equal(code, 0, err);
});
