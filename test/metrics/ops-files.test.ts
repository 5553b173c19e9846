// The operations files in ops/: the alert rules pass `promtool check rules` and their unit tests
// (`promtool test rules`), the Grafana dashboard is importable JSON, and every metric the rules and
// panels query is one the metrics plugin produces and docs/metrics.md describes.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../support/host.ts';

const ops = path.join(repoRoot, 'ops');
const promtool = (...args: string[]) => spawnSync('promtool', args, { cwd: ops, encoding: 'utf8' });

// Names the plugin registers (its sources), and the OpenTelemetry host metrics it turns on.
const produced = new Set([
  ...[...readdirText(path.join(repoRoot, 'plugins/metrics')).matchAll(/'((?:jararaca|nodejs|process)_[a-z0-9_]+)'/g)].map((m) => m[1]),
  'process_cpu_time_total',
  'process_cpu_utilization',
  'process_memory_usage',
]);

function readdirText(dir: string): string {
  return ['instruments.ts', 'channels.ts', 'runtime-metrics.ts'].map((f) => readFileSync(path.join(dir, f), 'utf8')).join('\n');
}

/** Metric names an expression reads, without the histogram series' suffixes. */
function metricsIn(expr: string): string[] {
  return [...expr.matchAll(/\b((?:jararaca|nodejs|process)_[a-z0-9_]+)/g)].map((m) => m[1].replace(/_(bucket|count|sum)$/, ''));
}

test('promtool check rules and promtool test rules pass on ops/', () => {
  const check = promtool('check', 'rules', 'alerts.yml');
  assert.equal(check.status, 0, check.stdout + check.stderr);
  const unit = promtool('test', 'rules', 'alerts.test.yml');
  assert.equal(unit.status, 0, unit.stdout + unit.stderr);
});

test('every alert has a unit test, and reads only metrics the plugin produces', () => {
  const rules = readFileSync(path.join(ops, 'alerts.yml'), 'utf8');
  const tests = readFileSync(path.join(ops, 'alerts.test.yml'), 'utf8');
  const alerts = [...rules.matchAll(/- alert: (\w+)/g)].map((m) => m[1]);
  assert.ok(alerts.length >= 5);
  for (const alert of alerts) assert.match(tests, new RegExp(`alertname: ${alert}\\b`), `${alert} has no test in alerts.test.yml`);
  const exprs = [...rules.matchAll(/expr: (\|\n(?:\s{10}.*\n)+|.*)/g)].map((m) => m[1]);
  assert.equal(exprs.length, alerts.length);
  assert.ok(exprs.every((e) => metricsIn(e).length > 0), 'every expression read');
  const unknown = exprs.flatMap(metricsIn).filter((n) => !produced.has(n));
  assert.deepEqual(unknown, []);
});

test('the Grafana dashboard is importable JSON whose panels read only produced metrics, all documented', () => {
  const dashboard = JSON.parse(readFileSync(path.join(ops, 'grafana-dashboard.json'), 'utf8')) as {
    title: string;
    uid: string;
    panels: Array<{ type: string; title: string; gridPos: object; targets?: Array<{ expr: string }> }>;
    templating: { list: Array<{ name: string }> };
  };
  assert.ok(dashboard.title && dashboard.uid);
  assert.ok(dashboard.templating.list.some((v) => v.name === 'datasource'), 'a data source variable, so the import asks for one');
  const queried = dashboard.panels.flatMap((p) => (p.targets ?? []).flatMap((t) => metricsIn(t.expr)));
  assert.deepEqual(queried.filter((n) => !produced.has(n)), []);
  for (const p of dashboard.panels) assert.ok(p.title && p.gridPos, `panel ${p.title}`);
  // The dashboard covers each family the issue lists.
  for (const family of ['jararaca_http_requests', 'jararaca_executions', 'jararaca_messages_received', 'jararaca_messages_settled', 'jararaca_messages_in_flight', 'jararaca_publish_confirm', 'jararaca_outbox_lag', 'jararaca_scheduled_slots', 'jararaca_websocket_connections', 'jararaca_websocket_frames_dropped', 'process_cpu']) {
    assert.ok(queried.some((n) => n.startsWith(family)), `no panel for ${family}`);
  }
  const docs = readFileSync(path.join(repoRoot, 'docs/metrics.md'), 'utf8');
  const undocumented = [...produced].filter((n) => !docs.includes(`\`${n}\``));
  assert.deepEqual(undocumented, [], 'metrics missing from docs/metrics.md');
});
