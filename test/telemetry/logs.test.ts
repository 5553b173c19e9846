// Log lines: pretty (pino-pretty) when asked or when stdout is a terminal (a host under a pty
// from `script`, as `npm run example` in a terminal), with the secrets still masked; JSON when
// piped.
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { hostCommand, repoRoot, spawnHost, writeService } from '../support/host.ts';
import { eventually } from '../support/eventually.ts';

const script = `
import { createLogger } from '${path.join(repoRoot, 'host/core/logger.ts')}';
const pretty = process.argv[2] === 'pretty';
const logger = createLogger({ level: 'info', pretty });
logger.info({ url: 'postgres://app:hunter2@db:5432/app' }, 'connecting to amqp://guest:s3cret@broker');
`;

function run(mode: string): string {
  const dir = writeService({ 'log.mts': script });
  return execFileSync(process.execPath, [...hostCommand().slice(0, 3), path.join(dir, 'log.mts'), mode], { cwd: repoRoot, encoding: 'utf8', env: { ...process.env, LOG_LEVEL: 'info' } });
}

test('pretty lines are not JSON, and their secrets are masked as in JSON lines', () => {
  const pretty = run('pretty');
  assert.ok(!pretty.trimStart().startsWith('{'), pretty);
  assert.match(pretty, /connecting to amqp:\/\/guest:\*\*\*@broker/);
  assert.match(pretty, /postgres:\/\/app:\*\*\*@db:5432\/app/);
  assert.doesNotMatch(pretty, /hunter2|s3cret/);
  const json = JSON.parse(run('json').trim()) as { msg: string; url: string };
  assert.equal(json.url, 'postgres://app:***@db:5432/app');
  assert.doesNotMatch(json.msg, /s3cret/);
});

const hasScript = spawnSync('script', ['--version']).status === 0;

test('a host whose stdout is a terminal prints pretty, coloured lines; piped, JSON', { skip: !hasScript && 'no script(1) to give the host a pty' }, async () => {
  const dir = writeService({ 'service.yaml': 'name: tty\ninterceptors: []\ncontrollers: []\n' });
  const args = [...hostCommand(), '--config', path.join(dir, 'service.yaml'), '--role', 'http', '--port', '0'];
  const command = [process.execPath, ...args].map((a) => `'${a}'`).join(' ');
  // script(1) runs the host on a pseudo-terminal; its own process group, so it is stopped whole.
  const child = spawn('script', ['-qec', command, '/dev/null'], { cwd: repoRoot, detached: true, env: { ...process.env, LOG_LEVEL: 'info' } });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  try {
    await eventually('a line about the HTTP server', () => /listening|started/i.test(out), { timeoutMs: 30000, intervalMs: 50 });
  } finally {
    process.kill(-child.pid!, 'SIGTERM');
  }
  assert.match(out, /\[\d\d:\d\d:\d\d\.\d{3}\] \x1b\[32mINFO\x1b\[39m: /, out.slice(0, 500));
  assert.doesNotMatch(out, /^\{"level"/m);
  // The same host with its stdout a pipe: JSON lines (spawnHost parses them).
  const piped = await spawnHost(path.join(dir, 'service.yaml'), { args: ['--role', 'http'] });
  try {
    const line = await piped.waitForLog((l) => typeof l.msg === 'string' && typeof l.level === 'number');
    assert.equal(line.service, 'tty');
  } finally {
    await piped.stop();
  }
});
