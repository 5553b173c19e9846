// jararaca-host as a user meets it on the command line: spawned processes, exit codes, what
// stderr says, and that a bad declaration starts nothing.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { freePort, hostCommand, repoRoot, runHost, spawnHost, writeService } from '../support/host.ts';

const fixtures = path.join(repoRoot, 'test/fixtures');
const example = path.join(repoRoot, 'examples/tasks/service.yaml');


function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Runs jararaca-host to its exit while probing `port` the whole time: resolves with the exit
 * code, the output and whether anything ever accepted a connection on the port.
 */
async function runWatchingPort(args: string[], port: number): Promise<{ code: number | null; stdout: string; stderr: string; opened: boolean }> {
  const child = spawn(process.execPath, [...hostCommand(), ...args], { cwd: repoRoot, env: { ...process.env, LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = once(child, 'exit');
  let done = false;
  void exited.then(() => (done = true));
  let opened = false;
  while (!done) {
    if (await listening(port)) opened = true;
    await new Promise((r) => setTimeout(r, 25));
  }
  const [code] = (await exited) as [number | null];
  return { code, stdout, stderr, opened };
}

describe('a service.yaml with mistakes', () => {
  const config = path.join(fixtures, 'bad-service/service.yaml');
  const shown = path.relative(repoRoot, config);
  const expected = [
    `${shown}:6:3 http.prot: unknown key 'prot' (did you mean 'port'?); allowed: host, port, bodyLimit, shutdownTimeoutMs, requestTimeoutMs, headersTimeoutMs, keepAliveTimeoutMs, trustProxy, openapi`,
    `${shown}:8:13 worker.prefetch: must be at least 1 (got 0)`,
    `${shown}:11:11 interceptors[0].with: must be a mapping (got the string "yes please")`,
    `${shown}:14:5 providers.clock: has 'value' and 'class': keep exactly one of value, class, factory`,
    `${shown}:17:5 controllers[0]: cannot find module './missing.controller.ts'`,
  ];

  it('exits 2 from a run, lists every mistake with line and column, and never opens its port', async () => {
    const port = await freePort();
    const result = await runWatchingPort(['--config', config, '--role', 'http', '--port', String(port)], port);
    assert.equal(result.code, 2, result.stderr);
    assert.equal(result.stderr, `jararaca-host: 5 problems in the service declaration:\n${expected.map((l) => `  ${l}\n`).join('')}`);
    assert.equal(result.opened, false, 'something listened on the port');
    assert.doesNotMatch(result.stdout, /started/);
  });

  it('exits 2 from validate with the same list', async () => {
    const result = await runHost(['validate', '--config', config]);
    assert.equal(result.code, 2);
    for (const line of expected) assert.ok(result.stderr.includes(line), `missing: ${line}\nin:\n${result.stderr}`);
    assert.equal(result.stdout, '');
  });

  it('a missing environment variable is named, with its place in the file', async () => {
    const dir = writeService({ 'service.yaml': 'name: envy\nhttp:\n  port: ${ENVY_PORT}\n' });
    const result = await runHost(['validate', '--config', path.join(dir, 'service.yaml')], { env: { ENVY_PORT: undefined } });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /service\.yaml:3:9 http\.port: environment variable ENVY_PORT is not set; set it, or give a default with \$\{ENVY_PORT:-default\}\n/);
  });
});

describe('validate', () => {
  it('checks the example, loads its modules and lists its routes', async () => {
    const result = await runHost(['validate', '--config', example]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^examples\/tasks\/service\.yaml: service 'tasks' is valid$/m);
    // The example grows with other issues (persistence...): check what this issue put there.
    assert.match(result.stdout, /^interceptors \(outermost first\): config\b/m);
    assert.match(result.stdout, /^providers: .*\btasks\b/m);
    assert.match(result.stdout, /^controllers: TasksController\b/m);
    assert.match(result.stdout, /^ {2}POST +\/tasks +→ TasksController\.create$/m);
    assert.match(result.stdout, /^ {2}GET +\/tasks +→ TasksController\.list$/m);
    assert.match(result.stdout, /^ {2}GET +\/tasks\/:id +→ TasksController\.get$/m);
  });
});

describe('usage', () => {
  it('--help prints the usage and exits 0', async () => {
    const result = await runHost(['--help']);
    assert.equal(result.code, 0);
    assert.match(result.stdout, /^Usage: jararaca-host /);
    assert.match(result.stdout, /--role ROLE/);
    assert.match(result.stdout, /Exit codes: 0 .* 2 bad declaration or usage/);
  });

  it('an unknown role exits 2 naming the role and the choices', async () => {
    const result = await runHost(['--config', example, '--role', 'api']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^jararaca-host: unknown role 'api': use http, worker, scheduler or all\n/);
  });

  it('a bad --port exits 2 saying what a port is', async () => {
    for (const port of ['99999', 'eighty', '-1']) {
      const result = await runHost(['--config', example, '--role', 'http', `--port=${port}`]);
      assert.equal(result.code, 2, port);
      assert.match(result.stderr, new RegExp(`^jararaca-host: --port must be an integer from 0 to 65535, got '${port}'\\n`));
    }
  });

  it('an unknown option exits 2 and shows the usage', async () => {
    const result = await runHost(['--conifg', example]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^jararaca-host: unknown option '--conifg' \(did you mean '--config'\?\)/);
    assert.match(result.stderr, /Usage: jararaca-host/);
  });
});

describe('where the declaration comes from', () => {
  it('./service.yaml in the working directory, with no --config', async () => {
    const result = await runHost(['validate'], { cwd: path.join(fixtures, 'cwd-root') });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^service\.yaml: service 'from-cwd-root' is valid$/m);
    // Its controller path is relative to the file, and resolved.
    assert.match(result.stdout, /^ {2}GET +\/ping +→ PingController\.ping$/m);
  });

  it('else ./config/service.yaml', async () => {
    const result = await runHost(['validate'], { cwd: path.join(fixtures, 'cwd-config') });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^config\/service\.yaml: service 'from-cwd-config' is valid$/m);
  });

  it('neither: exits 2 naming the path it looked for', async () => {
    const dir = writeService({});
    const result = await runHost(['validate'], { cwd: dir });
    assert.equal(result.code, 2);
    assert.equal(
      result.stderr,
      `jararaca-host: cannot read the service declaration service.yaml (${path.join(dir, 'service.yaml')}): there is no such file. Pass --config PATH, or run where ./service.yaml or ./config/service.yaml exists.\n`,
    );
  });

  it('a --config that does not exist exits 2 naming it', async () => {
    const result = await runHost(['--config', 'examples/tasks/servce.yaml', '--role', 'http']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^jararaca-host: cannot read the service declaration examples\/tasks\/servce\.yaml \(\/.*\/examples\/tasks\/servce\.yaml\): there is no such file\./);
  });
});

describe('dependency injection is checked at start', () => {
  it('a controller needing an unregistered token exits 2 naming the controller and the token; no port opened', async () => {
    const port = await freePort();
    const result = await runWatchingPort(['--config', path.join(fixtures, 'unknown-token/service.yaml'), '--role', 'http', '--port', String(port)], port);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /^jararaca-host: MailerController needs 'mailer', which is not registered\. Declare it under providers: in service\.yaml, or add the plugin that registers it \(registered: [^)]*\bclock\b[^)]*\)/m);
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
    assert.equal(result.opened, false, 'something listened on the port');
  });
});

describe('the built bin (dist/host/bin.js)', () => {
  const bin = path.join(repoRoot, 'dist/host/bin.js');
  before(() => {
    // npm test builds dist/ before any test runs. Building again here rewrote dist/ while other
    // files' tests ran the built bin and the kit from it, which then read half-written modules
    // (an exit 1 in CI). Only a file run alone, without a build, builds it here.
    if (existsSync(bin)) return;
    // Type errors elsewhere in the tree (work in progress) do not stop tsc from emitting, which
    // is all this needs; only a missing bin fails here.
    const build = spawnSync('npm', ['run', '--silent', 'build'], { cwd: repoRoot, encoding: 'utf8' });
    assert.ok(existsSync(bin), `npm run build did not produce ${bin}:\n${build.stdout}${build.stderr}`);
  });

  it('validates the example and lists its routes', async () => {
    const result = await runHost(['validate', '--config', example], { built: true });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /service 'tasks' is valid/);
    assert.match(result.stdout, /^ {2}POST +\/tasks +→ TasksController\.create$/m);
    assert.match(result.stdout, /^ {2}GET +\/tasks\/:id +→ TasksController\.get$/m);
  });

  it('serves the example with its bundled module (the metrics SDK): a task posted, counted at /metrics', async () => {
    // dist/ replaces plugins/metrics/otel.js with a bundle (scripts/post-build.mjs).
    const bundle = readFileSync(path.join(repoRoot, 'dist/plugins/metrics/otel.js'), 'utf8');
    assert.match(bundle, /^\/\/ Bundled by scripts\/post-build\.mjs/);
    assert.doesNotMatch(bundle, /(from|require\()\s*['"]@opentelemetry\//, 'the bundle still imports an @opentelemetry package');
    const host = await spawnHost(example, { built: true, args: ['--role', 'all'], env: { DATABASE_URL: 'pglite://memory', AMQP_URL: 'memory://', REDIS_URL: 'memory://', LOG_LEVEL: 'warn' } });
    try {
      const created = await fetch(`${host.url}/tasks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ title: 'milk' }) });
      assert.equal(created.status, 201, host.output());
      const metrics = await (await fetch(`${host.url}/metrics`)).text();
      assert.match(metrics, /^jararaca_http_requests_total\{[^}]*route="\/tasks"[^}]*\} 1$/m);
      assert.match(metrics, /^process_cpu_time_total\{process_cpu_state="user"\} \d/m); // @opentelemetry/host-metrics
      assert.match(metrics, /^process_memory_usage \d+$/m);
    } finally {
      await host.stop();
    }
  });

  it('reports a bad declaration with exit 2, as the sources do', async () => {
    const result = await runHost(['validate', '--config', path.join(fixtures, 'bad-service/service.yaml')], { built: true });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^jararaca-host: 5 problems in the service declaration:\n/);
  });
});
