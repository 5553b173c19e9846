// Log lines: pretty (pino-pretty) when asked, with the secrets still masked; JSON lines carry
// the execution they were written in.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { hostCommand, repoRoot, writeService } from '../support/host.ts';

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
