// A real Prometheus server (Debian's package) scrapes the tasks example's three roles, each its
// own jararaca-host process on PostgreSQL, RabbitMQ and Redis, and reports every target up.
// The example's names are fixed (service 'tasks', exchange 'jararaca'), so its RabbitMQ side runs
// in a virtual host of its own, made and removed here; the database is this file's own.
import assert from 'node:assert/strict';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { freePort, http, repoRoot, runHost, servers, spawnHost, tempDir, uniqueName, type SpawnedHost } from '../support/host.ts';
import { eventually } from '../support/eventually.ts';
import { WebSocket } from 'ws';
import { promtoolCheck, scrape, valueOf } from './scrape.ts';

const config = path.join(repoRoot, 'examples/tasks/service.yaml');
const database = uniqueName('metrics_prom');
const vhost = uniqueName('metrics_prom');

function withPath(url: string, pathname: string): string {
  const u = new URL(url);
  u.pathname = pathname;
  return u.toString();
}

interface Target {
  labels: Record<string, string>;
  health: string;
  lastError: string;
  scrapeUrl: string;
}

describe('Prometheus scrapes the tasks example, one role per process', () => {
  const hosts: SpawnedHost[] = [];
  const admin = new pg.Client({ connectionString: servers.postgres });
  let prometheus: ChildProcess | undefined;
  let prometheusUrl: string;
  let targets: Record<'http' | 'worker' | 'scheduler', string>;

  before(async () => {
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    execFileSync('rabbitmqctl', ['-q', 'add_vhost', vhost]);
    execFileSync('rabbitmqctl', ['-q', 'set_permissions', '-p', vhost, 'guest', '.*', '.*', '.*']);
    const env = { DATABASE_URL: withPath(servers.postgres, `/${database}`), AMQP_URL: withPath(servers.amqp, `/${vhost}`), REDIS_URL: servers.redis, LOG_LEVEL: 'info' };
    const migrated = await runHost(['migrate', 'latest', '--config', config], { env });
    assert.equal(migrated.code, 0, migrated.stderr + migrated.stdout);
    const [workerPort, schedulerPort] = [await freePort(), await freePort()];
    const web = await spawnHost(config, { args: ['--role', 'http'], env });
    const worker = await spawnHost(config, { args: ['--role', 'worker', '--health-port', String(workerPort)], env, waitReady: false });
    const scheduler = await spawnHost(config, { args: ['--role', 'scheduler', '--health-port', String(schedulerPort)], env, waitReady: false });
    hosts.push(web, worker, scheduler);
    targets = { http: `127.0.0.1:${web.port}`, worker: `127.0.0.1:${workerPort}`, scheduler: `127.0.0.1:${schedulerPort}` };
    for (const [role, target] of Object.entries(targets)) {
      await eventually(`${role} ready`, async () => (await fetch(`http://${target}/health/ready`)).status === 200, { timeoutMs: 30000, intervalMs: 200 });
    }

    const dir = tempDir();
    const promPort = await freePort();
    prometheusUrl = `http://127.0.0.1:${promPort}`;
    const scrapeConfigs = Object.entries(targets).map(([role, target]) => `  - job_name: tasks-${role}\n    static_configs:\n      - targets: ['${target}']\n        labels: { role: ${role} }`);
    writeFileSync(path.join(dir, 'prometheus.yml'), `global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n${scrapeConfigs.join('\n')}\n`);
    prometheus = spawn('/usr/bin/prometheus', [`--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${promPort}`, '--log.level=warn'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let promLog = '';
    prometheus.stderr!.on('data', (d) => (promLog += d));
    await eventually('Prometheus ready', async () => prometheus!.exitCode === null ? (await fetch(`${prometheusUrl}/-/ready`)).status === 200 : Promise.reject(new Error(promLog)), { timeoutMs: 30000, intervalMs: 200 });
  });

  after(async () => {
    if (prometheus && prometheus.exitCode === null) {
      prometheus.kill('SIGTERM');
      await new Promise((resolve) => prometheus!.once('exit', resolve));
    }
    await Promise.all(hosts.map((h) => h.stop()));
    execFileSync('rabbitmqctl', ['-q', 'delete_vhost', vhost]);
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
  });

  test('the three targets are up, and each exposition passes promtool check metrics', async () => {
    // Some work, so the http and worker expositions have samples beyond the process metrics.
    assert.equal((await http('POST', `http://${targets.http}/tasks`, { title: 'scraped' })).status, 201);
    const up = await eventually('every target up', async () => {
      const body = (await (await fetch(`${prometheusUrl}/api/v1/targets`)).json()) as { data: { activeTargets: Target[] } };
      const active = body.data.activeTargets;
      return active.length === 3 && active.every((t) => t.health === 'up') && active;
    }, { timeoutMs: 30000, intervalMs: 250 }).catch(async (err: Error) => {
      throw new Error(`${err.message}: ${JSON.stringify(await (await fetch(`${prometheusUrl}/api/v1/targets`)).json())}`);
    });
    assert.deepEqual(up.map((t) => t.labels.role).sort(), ['http', 'scheduler', 'worker']);
    assert.ok(up.every((t) => t.scrapeUrl.endsWith('/metrics')));
    // Prometheus stored what it scraped: the execution counter of the POST, labelled by handler.
    const executions = await eventually('the POST in Prometheus', async () => {
      const res = (await (await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent('jararaca_executions_total{handler="TasksController.create"}')}`)).json()) as { data: { result: unknown[] } };
      return res.data.result.length > 0 && res.data.result;
    }, { timeoutMs: 15000, intervalMs: 250 });
    assert.ok(executions.length >= 1);
    // The outbox relay's gauges (the example's outbox is on knex-session), and a WebSocket client counted.
    const client = new WebSocket(`ws://${targets.http}/ws`);
    await new Promise((resolve, reject) => client.once('open', resolve).once('error', reject));
    try {
      const webText = await eventually('outbox and WebSocket metrics', async () => {
        const t = await scrape(`http://${targets.http}/metrics`);
        return t.includes('jararaca_outbox_pending{connection="default"}') && valueOf(t, 'jararaca_websocket_connections', { endpoint: '/ws' }) === 1 && t;
      }, { timeoutMs: 15000, intervalMs: 250 });
      assert.equal(valueOf(webText, 'jararaca_outbox_pending', { connection: 'default' }), 0);
    } finally {
      client.close();
    }
    const workerText = await eventually('the TaskCreated handled', async () => {
      const t = await scrape(`http://${targets.worker}/metrics`);
      return valueOf(t, 'jararaca_messages_settled_total', { handler: 'markDone', outcome: 'acked' }) >= 1 && t;
    }, { timeoutMs: 15000, intervalMs: 250 });
    assert.equal(valueOf(workerText, 'jararaca_messages_in_flight'), 0);
    // Whichever process's outbox relay sent the TaskCreated (each role runs one), it was confirmed once.
    let confirmed = 0;
    for (const target of Object.values(targets)) confirmed += valueOf(await scrape(`http://${target}/metrics`), 'jararaca_messages_published_total', { message: 'TaskCreated', outcome: 'confirmed' });
    assert.equal(confirmed, 1);
    for (const [role, target] of Object.entries(targets)) {
      const check = promtoolCheck(await scrape(`http://${target}/metrics`));
      assert.equal(check.code, 0, `${role}: ${check.output}`);
    }
  });
});
