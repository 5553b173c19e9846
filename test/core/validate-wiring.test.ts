// `jararaca-host validate` finds what a start would find, without starting anything: wiring
// mistakes exit 2 with a message that says what to change, in validate and at start alike.
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import { runHost, writeService } from '../support/host.ts';

const ok = `import { Get, RestController } from 'jararaca';\n@RestController('/ok')\nexport class Ok { @Get('/') async ok() { return 1; } }\n`;

async function both(files: Record<string, string>): Promise<Array<{ code: number | null; stderr: string }>> {
  const dir = writeService(files);
  const config = path.join(dir, 'service.yaml');
  return Promise.all([runHost(['validate', '--config', config]), runHost(['--role', 'http', '--port', '0', '--config', config])]);
}

describe('wiring mistakes: validate and start agree', () => {
  test('an unregistered token in a constructor', async () => {
    for (const r of await both({
      'c.ts': `import { Get, RestController } from 'jararaca';\n@RestController('/')\nexport class Mailer { constructor({ smtp }) { this.smtp = smtp; } @Get('/') async x() { return 1; } }\n`,
      'service.yaml': 'name: wiring\ncontrollers: [./c.ts]\n',
    })) {
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /Mailer needs 'smtp', which is not registered/);
    }
  });

  test('a route declared twice', async () => {
    for (const r of await both({
      'c.ts': `import { Get, RestController } from 'jararaca';\n@RestController('/x')\nexport class Twice { @Get('/') async a() { return 1; } @Get('/') async b() { return 2; } }\n`,
      'service.yaml': 'name: wiring\ncontrollers: [./c.ts]\n',
    })) {
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /Twice\.b \(GET \/x\): .*already declared/);
    }
  });

  test('a route schema that does not compile', async () => {
    for (const r of await both({
      'c.ts': `import { Post, RestController } from 'jararaca';\n@RestController('/x')\nexport class BadSchema { @Post('/', { schema: { body: { type: 'strng' } } }) async a() { return 1; } }\n`,
      'service.yaml': 'name: wiring\ncontrollers: [./c.ts]\n',
    })) {
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /JRR_ROUTE_INVALID|a route could not be built|BadSchema/);
    }
  });

  test('route decorators without @RestController on the class', async () => {
    for (const r of await both({
      'c.ts': `import { Get } from 'jararaca';\nexport class Bare { @Get('/') async a() { return 1; } }\n`,
      'service.yaml': 'name: wiring\ncontrollers: [./c.ts]\n',
    })) {
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /Bare has route decorators .* but no @RestController\(prefix\) on the class/);
    }
  });

  test('a WebSocket endpoint without the websocket plugin, and message handlers without a transport', async () => {
    for (const r of await both({
      'c.ts': ok,
      'ws.ts': `import { OnMessage, WebSocketEndpoint } from 'jararaca/websocket';\n@WebSocketEndpoint('/ws')\nexport class Live { @OnMessage('ping') ping() { return { type: 'pong' }; } }\n`,
      'bus.ts': `import { defineMessage, MessageBusController, MessageHandler } from 'jararaca';\nexport const M = defineMessage({ name: 'M', topic: 'm.x', kind: 'event', schema: { type: 'object' } as const });\n@MessageBusController()\nexport class Bus { @MessageHandler(M) async m() {} }\n`,
      'service.yaml': 'name: wiring\ncontrollers: [./c.ts, ./ws.ts, ./bus.ts]\n',
    })) {
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /'websocket' handlers \(Live\.ping\) are run by a plugin that this service does not declare: add '- use: websocket'/);
      assert.match(r.stderr, /message handlers \(Bus\.m\) need a message transport.*add '- use: message-bus'/);
    }
  });

  test('a decorated controller class its module does not export is named in a warning', async () => {
    const dir = writeService({
      'c.ts': `import { Get, RestController } from 'jararaca';\n@RestController('/hidden')\nclass Hidden { @Get('/') async x() { return 1; } }\nvoid Hidden;\n${ok}`,
      'service.yaml': 'name: wiring\ncontrollers: [./c.ts]\n',
    });
    const r = await runHost(['validate', '--config', path.join(dir, 'service.yaml')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Hidden is decorated as a controller, but no module under controllers: exports it/);
    assert.doesNotMatch(r.stderr, /Ok is decorated/);
  });

  test('legacy (experimentalDecorators) decorators are named as the cause', async () => {
    const dir = writeService({
      'tsconfig.json': JSON.stringify({ compilerOptions: { experimentalDecorators: true, target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext' } }),
      'c.ts': ok,
      'service.yaml': 'name: wiring\ncontrollers: [./c.ts]\n',
    });
    const r = await runHost(['validate', '--config', path.join(dir, 'service.yaml')], { cwd: dir });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /legacy TypeScript decorator.*Remove "experimentalDecorators"/);
  });
});
