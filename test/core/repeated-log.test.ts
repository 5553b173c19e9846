// RepeatedLog: the first N lines of a key per interval, then one summary with the count.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RepeatedLog } from '../../host/core/repeated-log.ts';

test('10,000 identical warnings become 5 lines and one summary; other keys are counted apart', () => {
  const lines: Array<{ level: string; obj: Record<string, unknown>; msg: string }> = [];
  const sink = (level: string) => (obj: object, msg: string) => lines.push({ level, obj: obj as Record<string, unknown>, msg });
  const log = new RepeatedLog({ info: sink('info'), warn: sink('warn'), error: sink('error') }, { first: 5, intervalMs: 60000 });
  for (let i = 0; i < 10000; i++) log.warn('flood', { i }, 'client too fast');
  log.error('other', {}, 'different');
  assert.equal(lines.length, 6);
  log.flush();
  assert.equal(lines.length, 7);
  const summary = lines[6];
  assert.equal(summary.level, 'warn');
  assert.equal(summary.obj.suppressed, 9995);
  assert.match(summary.msg, /client too fast \(9995 more like this/);
});
