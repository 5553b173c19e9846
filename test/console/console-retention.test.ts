// scheduler.history in service.yaml: how much history of runs the lock's store keeps. A shorter
// retention drops the older runs (by count and by age), seen through the console's API; a value
// out of range is refused by validate like every option.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, test } from 'node:test';
import { http, runHost, spawnHost, writeService, type SpawnedHost } from '../support/host.ts';
import { eventually } from '../support/eventually.ts';

const OPERATOR = { authorization: `Basic ${Buffer.from('olga:operator-pass').toString('base64')}` };

function service(history: string): string {
  return writeService({
    'service.yaml': `name: console-retention
interceptors:
  - use: console
    with:
      operator: olga:operator-pass
controllers:
  - ./jobs.ts
scheduler:
  history: ${history}
`,
    'jobs.ts': `import { Get, RestController, ScheduledAction } from 'jararaca';
let fires = 0;
@RestController('/jobs')
export class Jobs {
  @ScheduledAction('* * * * * *', { name: 'tick' })
  async tick() { fires++; }
  @Get('/fires') count() { return { fires }; }
}
`,
  });
}

const hosts: SpawnedHost[] = [];
after(async () => {
  await Promise.all(hosts.map((h) => h.stop()));
});

async function runsAfter(history: string, fires: number): Promise<{ fires: number; runs: Array<{ slot: number; firedAt: number }> }> {
  const host = await spawnHost(`${service(history)}/service.yaml`, { args: ['--role', 'all'] });
  hosts.push(host);
  await eventually(`${fires} fires`, async () => (await http('GET', `${host.url}/jobs/fires`)).body.fires >= fires, { timeoutMs: 20_000 });
  const runs = (await http('GET', `${host.url}/_console/api/scheduled/tick/runs?limit=500`, undefined, OPERATOR)).body.runs;
  return { fires: (await http('GET', `${host.url}/jobs/fires`)).body.fires, runs };
}

test('history.runs keeps only the newest runs of each action', async () => {
  const { fires, runs } = await runsAfter('{ runs: 3 }', 6);
  assert.ok(fires >= 6);
  assert.equal(runs.length, 3, 'the older runs were dropped');
  // Newest first: the three kept are the latest ones.
  assert.deepEqual(runs.map((r) => r.slot), [...runs.map((r) => r.slot)].sort((a, b) => b - a));
});

test('history.maxAgeMs drops runs older than it', async () => {
  const { fires, runs } = await runsAfter('{ maxAgeMs: 2000 }', 6);
  assert.ok(runs.length >= 1 && runs.length <= 3, `runs of the last 2 s only, got ${runs.length} of ${fires}`);
  assert.ok(runs.every((r) => r.firedAt >= runs[0].firedAt - 2000));
});

test('validate refuses a history out of range, naming the option', async () => {
  const result = await runHost(['validate', '--config', path.join(service('{ runs: 0 }'), 'service.yaml')]);
  assert.notEqual(result.code, 0);
  assert.match(result.stderr + result.stdout, /history\/runs|history\.runs/);
});
