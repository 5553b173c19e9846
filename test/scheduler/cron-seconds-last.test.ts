// A six-field line in the Python original's order (seconds last) is refused, with the
// seconds-first line to write, at validate and at start; seconds-first lines still work.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { parseCron } from '../../host/roles/scheduler/cron.ts';
import { runHost, writeService } from '../support/host.ts';

test('parseCron refuses seconds-last shapes and names the seconds-first line', () => {
  for (const [line, write] of [['* * * * * */5', '*/5 * * * * *'], ['* * * * * 30', '30 * * * * *'], ['* 0 12 * * 1-5', '1-5 0 12 * * *']]) {
    assert.throws(() => parseCron(line), (err: Error & { code?: string }) => err.code === 'JRR_CRON_INVALID' && err.message.includes(`write '${write}'`), line);
  }
  for (const line of ['*/5 * * * * *', '0 */5 * * * *', '* * * * * *', '0-59 * * * * 5', '*/5 * * * *']) assert.doesNotThrow(() => parseCron(line), line);
});

test('validate and run exit 2 on the reference example\'s "* * * * * */5"', async () => {
  const dir = writeService({
    'service.yaml': 'name: cron\ncontrollers: [./jobs.ts]\n',
    'jobs.ts': `import { ScheduledAction } from 'jararaca';\nexport class Jobs { @ScheduledAction('* * * * * */5', { name: 'every5' }) tick() {} }\n`,
  });
  for (const args of [['validate'], ['run', '--role', 'scheduler']]) {
    const res = await runHost([...args, '--config', path.join(dir, 'service.yaml')]);
    assert.equal(res.code, 2, res.stderr);
    assert.match(res.stderr, /seconds-LAST.*write '\*\/5 \* \* \* \* \*'/);
  }
});
