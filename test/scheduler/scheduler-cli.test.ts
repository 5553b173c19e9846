// The scheduler role from the command line: bad schedules exit 2 naming the action, validate
// lists actions with their next fires, --actions filters, each fire is an execution through
// the interceptors, health answers, and SIGTERM stops within scheduler.shutdownTimeoutMs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { freePort, http, runHost, spawnHost, writeService } from '../support/host.ts';

const jobs = `import { ScheduledAction, useExecution, type ScheduledFire } from 'jararaca';
export class Jobs {
  @ScheduledAction('* * * * * *', { name: 'a' })
  async a(fire: ScheduledFire): Promise<void> {
    const ex = useExecution();
    console.log(JSON.stringify({ msg: 'ran a', kind: ex.kind, action: ex.details.action, cron: ex.details.cron, slotMs: fire.slot.getTime() % 1000, sameSignal: ex.signal === fire.signal }));
  }
  @ScheduledAction('* * * * * *', { name: 'b' })
  async b(): Promise<void> {
    console.log(JSON.stringify({ msg: 'ran b' }));
  }
  @ScheduledAction('* * * * * *', { name: 'long', overlap: 'allow' })
  async long(fire: ScheduledFire): Promise<void> {
    console.log(JSON.stringify({ msg: 'long started' }));
    await new Promise((resolve) => fire.signal.addEventListener('abort', resolve));
  }
}
`;

const tagPlugin = `import { definePlugin } from 'jararaca';
export default definePlugin({
  name: 'tag',
  setup: () => ({
    async intercept(execution, next) {
      console.log(JSON.stringify({ msg: 'intercepted', kind: execution.kind, action: execution.details.action }));
      return next();
    },
  }),
});
`;

test('a bad cron expression exits 2 naming the action, at start and in validate', async () => {
  const dir = writeService({
    'service.yaml': 'name: bad-cron\ncontrollers:\n  - ./jobs.ts\n',
    'jobs.ts': `import { ScheduledAction } from 'jararaca';
export class Jobs {
  @ScheduledAction('*/5 * * * * * *')
  async republish(): Promise<void> {}
  @ScheduledAction('0 9 * * *', { timezone: 'Mars/Olympus' })
  async report(): Promise<void> {}
}
`,
  });
  for (const args of [['--role', 'scheduler', '--health-port', '0'], ['validate'], ['--role', 'all', '--port', '0']]) {
    const { code, stderr } = await runHost(['--config', `${dir}/service.yaml`, ...args]);
    assert.equal(code, 2, `${args.join(' ')}: ${stderr}`);
    assert.match(stderr, /service\.yaml:\d+:\d+ controllers: scheduled action 'Jobs\.republish' \(Jobs\.republish\): '\*\/5 \* \* \* \* \* \*' has 7 fields: write 5 .* or 6 with seconds first/);
    assert.match(stderr, /scheduled action 'Jobs\.report' .*unknown time zone 'Mars\/Olympus'/);
  }
});

test('an unknown scheduler.timezone and an unknown --actions name exit 2', async () => {
  const dir = writeService({
    'service.yaml': 'name: bad-tz\ncontrollers:\n  - ./jobs.ts\nscheduler:\n  timezone: Nowhere/City\n',
    'jobs.ts': jobs,
  });
  const tz = await runHost(['--config', `${dir}/service.yaml`, '--role', 'scheduler', '--health-port', '0']);
  assert.equal(tz.code, 2);
  assert.match(tz.stderr, /service\.yaml:5:13 scheduler\.timezone: unknown time zone 'Nowhere\/City'/);

  const ok = writeService({ 'service.yaml': 'name: filter\ncontrollers:\n  - ./jobs.ts\n', 'jobs.ts': jobs });
  const unknown = await runHost(['--config', `${ok}/service.yaml`, '--role', 'scheduler', '--health-port', '0', '--actions', 'a,nope']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /--actions names 'nope', which is not a scheduled action of this service \(actions: a, b, long\)/);
});

test('validate lists the actions with their next fire times', async () => {
  const dir = writeService({
    'service.yaml': 'name: listing\ninterceptors:\n  - use: redis\n    with:\n      url: redis://user:secret@127.0.0.1:6379\ncontrollers:\n  - ./jobs.ts\nscheduler:\n  timezone: Europe/Lisbon\n  lock: redis://user:secret@127.0.0.1:6379\n',
    'jobs.ts': `import { ScheduledAction } from 'jararaca';
export class Jobs {
  @ScheduledAction('0 3 * * *', { timeoutMs: 60000, catchUp: 'latest' })
  async nightly(): Promise<void> {}
  @ScheduledAction('*/5 * * * * *', { name: 'republish', exclusive: false, timezone: 'UTC' })
  async republish(): Promise<void> {}
}
`,
  });
  const { code, stdout, stderr } = await runHost(['validate', '--config', `${dir}/service.yaml`]);
  assert.equal(code, 0, stderr);
  assert.match(stdout, /scheduled actions \(2\):/);
  assert.match(stdout, /Jobs\.nightly {2}'0 3 \* \* \*' Europe\/Lisbon {2}exclusive, overlap skip, timeout 60000 ms, catch-up latest {2}next: \d{4}-\d\d-\d\dT0[23]:00:00\.000Z, /);
  assert.match(stdout, /republish {2}'\*\/5 \* \* \* \* \*' UTC {2}every replica, overlap skip {2}next: \S+:\d[05]\.000Z, /);
  assert.match(stdout, /scheduler lock: redis:\/\/user:\*\*\*@127\.0\.0\.1:6379/);
  assert.doesNotMatch(stdout, /secret/);
});

test('a scheduler.lock whose scheme no declared plugin provides exits 2 naming the plugin to add, in validate and at start', async () => {
  const redis = writeService({
    'service.yaml': 'name: no-redis\ncontrollers:\n  - ./jobs.ts\nscheduler:\n  lock: redis://user:secret@127.0.0.1:6379\n',
    'jobs.ts': jobs,
  });
  const validate = await runHost(['validate', '--config', `${redis}/service.yaml`]);
  assert.equal(validate.code, 2, validate.stderr);
  assert.match(validate.stderr, /service\.yaml:5:9 scheduler\.lock: 'redis:\/\/user:\*\*\*@127\.0\.0\.1:6379' needs a plugin that provides a redis:\/\/ scheduler lock.*add '- use: redis' with \{ url: \.\.\. \} under interceptors:/);
  assert.doesNotMatch(validate.stderr, /secret/);

  const postgres = writeService({
    'service.yaml': 'name: no-knex\ninterceptors:\n  - use: redis\n    with:\n      url: redis://127.0.0.1:6379\ncontrollers:\n  - ./jobs.ts\nscheduler:\n  lock: postgres://127.0.0.1:5432/db\n',
    'jobs.ts': jobs,
  });
  const start = await runHost(['--config', `${postgres}/service.yaml`, '--role', 'scheduler', '--health-port', '0']);
  assert.equal(start.code, 2, start.stderr);
  assert.match(start.stderr, /scheduler\.lock: .*add '- use: knex-session' with \{ url: \.\.\. \} under interceptors: \(declared plugins provide: redis:\/\/, rediss:\/\/\)/);
});

test('each fire is an execution through the interceptors; --actions filters; health answers; SIGTERM aborts runs past shutdownTimeoutMs', async () => {
  const dir = writeService({
    'service.yaml': 'name: onion\ninterceptors:\n  - use: ./tag.ts\ncontrollers:\n  - ./jobs.ts\nscheduler:\n  shutdownTimeoutMs: 300\n',
    'jobs.ts': jobs,
    'tag.ts': tagPlugin,
  });
  const healthPort = await freePort();
  const host = await spawnHost(`${dir}/service.yaml`, { args: ['--role', 'scheduler', '--health-port', String(healthPort), '--actions', 'a,long'], waitReady: false });
  try {
    const ran = await host.waitForLog((l) => l.msg === 'ran a');
    assert.deepEqual(ran, { msg: 'ran a', kind: 'scheduled', action: 'a', cron: '* * * * * *', slotMs: 0, sameSignal: true });
    assert.ok(host.logs().some((l) => l.msg === 'intercepted' && l.kind === 'scheduled' && l.action === 'a'));
    const fired = await host.waitForLog((l) => l.msg === 'scheduled action a ok');
    assert.equal(fired.action, 'a');
    assert.match(String(fired.slot), /\.000Z$/);
    assert.equal(typeof fired.durationMs, 'number');
    assert.equal(typeof fired.lagMs, 'number');
    const health = await http('GET', `http://127.0.0.1:${healthPort}/health/ready`);
    assert.equal(health.status, 200);
    await host.waitForLog((l) => l.msg === 'long started');
    assert.equal(await host.stop('SIGTERM'), 0);
    assert.ok(host.logs().some((l) => l.msg === 'scheduled action long aborted' && l.reason === 'aborted at shutdown'), host.output());
    assert.ok(!host.logs().some((l) => l.msg === 'ran b'), '--actions a,long: b never runs');
  } finally {
    await host.stop('SIGKILL');
  }
});
