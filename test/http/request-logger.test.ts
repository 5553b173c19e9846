// The request's logger is made on its first line (host/roles/http/request-logger.ts): what a
// handler or a child of it writes must look exactly like a pino child's lines, reqId included,
// and what is below the level must write nothing.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { http, spawnHost, writeService, type SpawnedHost } from '../support/host.ts';

const controller = `
import { Get, RestController, useExecution } from 'jararaca';
@RestController('/log')
export class LogController {
  @Get('/:what')
  async write(request) {
    const log = useExecution().logger;
    const what = request.params.what;
    log.info({ what }, 'below the level');
    if (what === 'warn') log.warn({ what }, 'a warning');
    if (what === 'child') log.child({ part: 'inner' }).warn({ what }, 'from a child');
    if (what === 'enabled') return { info: log.isLevelEnabled('info'), warn: log.isLevelEnabled('warn'), level: log.level };
    return { ok: true };
  }
}
`;

describe('the request logger', () => {
  let host: SpawnedHost;
  before(async () => {
    const dir = writeService({ 'c.ts': controller, 'service.yaml': 'name: request-logger\nlogging: { level: warn }\ncontrollers: [./c.ts]\n' });
    host = await spawnHost(`${dir}/service.yaml`);
  });
  after(() => host?.stop());

  test("a handler's line carries the request id; lines below the level are not written", async () => {
    const res = await http('GET', `${host.url}/log/warn`, undefined, { 'x-request-id': 'log-warn-1' });
    assert.equal(res.status, 200);
    const line = await host.waitForLog((l) => l.msg === 'a warning');
    assert.equal(line.reqId, 'log-warn-1');
    assert.equal(line.what, 'warn');
    assert.equal(host.logs().filter((l) => l.msg === 'below the level').length, 0);
  });

  test("a child of the request's logger keeps the request id and adds its own fields", async () => {
    await http('GET', `${host.url}/log/child`, undefined, { 'x-request-id': 'log-child-1' });
    const line = await host.waitForLog((l) => l.msg === 'from a child');
    assert.equal(line.reqId, 'log-child-1');
    assert.equal(line.part, 'inner');
  });

  test('level and isLevelEnabled answer as the service logger does', async () => {
    const res = await http('GET', `${host.url}/log/enabled`);
    assert.deepEqual(res.body, { info: false, warn: true, level: 'warn' });
  });
});
