// No secret reaches any output: every role (run --role all) and the CLI commands (validate,
// migrate status, dlq list) run with passwords in every URL form — userinfo with unencoded
// specials, password=/token= query parameters — on the happy path and the error paths (wrong
// password, server down, unknown vhost), and everything they print is searched for them.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { hostCommand, repoRoot, uniqueName, writeService } from '../support/host.ts';
import { deleteBrokerObjects } from '../support/broker.ts';

const rabbitUser = uniqueName('jrr_secret_user');
// Unencoded '@' and ':' in the password: the forms that used to leak a tail.
const rabbitSecret = `Rb${process.pid}x@Q:zz`;
const S = (tag: string) => `S3cr${tag}${process.pid}`;

const service = `
name: secrets
interceptors:
  - use: message-bus
    with: { url: "\${AMQP_URL}", connectTimeoutMs: 2000 }
  - use: websocket
    with: { url: "\${REDIS_URL}" }
  - use: knex-session
    with: { url: "\${DATABASE_URL}", connectTimeoutMs: 1000 }
controllers: [./app.ts]
`;
const app = `
import { defineMessage, Get, MessageBusController, MessageHandler, RestController, ScheduledAction } from 'jararaca';
const Ping = defineMessage({ name: 'Ping', topic: 'secrets.ping', kind: 'event', schema: { type: 'object' } as const });
@RestController('/')
@MessageBusController()
export class App {
  @Get('/x') x() { return { ok: true }; }
  @MessageHandler(Ping, { name: 'ping' }) ping() {}
  @ScheduledAction('*/1 * * * * *', { name: 'tick' }) tick() {}
}
`;

interface Setting {
  what: string;
  env: Record<string, string>;
  secrets: string[];
  /** What the output must say instead. */
  says?: RegExp;
}

const settings: Setting[] = [
  {
    what: 'wrong passwords, unencoded @ in userinfo',
    env: { DATABASE_URL: `postgres://jararaca:${S('pg1')}@tail@127.0.0.1:5432/jararaca`, AMQP_URL: `amqp://guest:${S('mq1')}@x@127.0.0.1:5672`, REDIS_URL: `redis://:${S('rd1')}@PW@127.0.0.1:9` },
    secrets: [S('pg1'), S('mq1'), S('rd1'), 'tail@127', 'PW@127'],
  },
  {
    what: 'password and token as query parameters',
    env: { DATABASE_URL: `postgres://127.0.0.1:5432/jararaca?user=jararaca&password=${S('pg2')}`, AMQP_URL: `amqp://127.0.0.1:5672?username=guest&password=${S('mq2')}`, REDIS_URL: `redis://127.0.0.1:9?token=${S('rd2')}` },
    secrets: [S('pg2'), S('mq2'), S('rd2')],
  },
  {
    what: 'servers down',
    env: { DATABASE_URL: `postgres://u:${S('pg3')}@127.0.0.1:9/db`, AMQP_URL: `amqp://u:${S('mq3')}@127.0.0.1:9`, REDIS_URL: `rediss://default:${S('rd3')}@127.0.0.1:9/0` },
    secrets: [S('pg3'), S('mq3'), S('rd3')],
  },
  {
    what: 'a broker login that works, an unknown vhost',
    env: { DATABASE_URL: 'pglite://memory', AMQP_URL: `amqp://${rabbitUser}:${encodeURIComponent(rabbitSecret)}@127.0.0.1:5672/no-such-vhost`, REDIS_URL: 'memory://' },
    secrets: [rabbitSecret, encodeURIComponent(rabbitSecret), 'x@Q'],
    says: /JRR_BUS_REFUSED|refused virtual host 'no-such-vhost'/,
  },
  {
    what: 'a broker login that works',
    env: { DATABASE_URL: 'pglite://memory', AMQP_URL: `amqp://${rabbitUser}:${encodeURIComponent(rabbitSecret)}@127.0.0.1:5672`, REDIS_URL: 'memory://' },
    secrets: [rabbitSecret, encodeURIComponent(rabbitSecret), 'x@Q'],
  },
];

/** Runs jararaca-host; SIGTERM after `forMs` if still running. Resolves with everything it printed. */
async function output(args: string[], env: Record<string, string>, forMs = 6000): Promise<string> {
  const child = spawn(process.execPath, [...hostCommand(), ...args], { cwd: repoRoot, env: { ...process.env, LOG_LEVEL: 'debug', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const timer = setTimeout(() => child.kill('SIGTERM'), forMs);
  await once(child, 'exit');
  clearTimeout(timer);
  return out;
}

let config: string;
before(() => {
  config = path.join(writeService({ 'service.yaml': service, 'app.ts': app }), 'service.yaml');
  execFileSync('rabbitmqctl', ['-q', 'add_user', rabbitUser, rabbitSecret]);
  execFileSync('rabbitmqctl', ['-q', 'set_permissions', '-p', '/', rabbitUser, '.*', '.*', '.*']);
});
after(async () => {
  await deleteBrokerObjects('secrets');
  try {
    execFileSync('rabbitmqctl', ['-q', 'delete_user', rabbitUser]);
  } catch {
    /* already gone */
  }
});

for (const setting of settings) {
  test(`no secret in any output: ${setting.what}`, async () => {
    const runs = await Promise.all([
      // Long enough to start (PGlite compiles its WASM first) and retry a few times.
      output(['run', '--config', config, '--role', 'all', '--port', '0'], { ...setting.env, PORT: '0' }, 12000),
      output(['validate', '--config', config], setting.env, 30000),
      output(['migrate', 'status', '--config', config], setting.env, 30000),
      output(['dlq', 'list', '--handler', 'ping', '--config', config], setting.env, 30000),
    ]);
    const all = runs.join('\n');
    assert.ok(all.length > 200, `the commands printed little: ${all}`);
    for (const secret of setting.secrets) {
      const at = all.indexOf(secret);
      assert.equal(at, -1, `'${secret}' appears: …${all.slice(Math.max(0, at - 200), at + 100)}…`);
    }
    if (setting.says) assert.match(all, setting.says);
    // Every line a role printed went through the logger (JSON), not knex's or ioredis's console.
    const stray = runs[0].split('\n').filter((l) => l.trim() && !l.startsWith('{') && !l.startsWith('jararaca-host:') && !/^\s/.test(l));
    assert.deepEqual(stray.filter((l) => /Acquire connection error|\[ioredis\]/.test(l)), []);
  });
}
