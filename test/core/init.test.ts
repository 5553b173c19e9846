// `jararaca-host init NAME`: the project it writes passes its own `npm test` (here with this
// repository linked as its node_modules/jararaca, in place of `npm install`).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot, runHost, writeService } from '../support/host.ts';

describe('jararaca-host init', () => {
  it("writes a project whose npm test passes: a route, a message handler, a scheduled action, a WebSocket endpoint, tested with jararaca/testing", async () => {
    const parent = writeService({});
    const created = await runHost(['init', 'demo'], { cwd: parent });
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /npm install\n {2}npm test\n$/);
    const dir = path.join(parent, 'demo');
    const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { type: string; dependencies: Record<string, string> };
    assert.equal(manifest.type, 'module');
    assert.match(manifest.dependencies.jararaca, /^\^\d+\.\d+\.\d+/);
    assert.match(readFileSync(path.join(dir, 'service.yaml'), 'utf8'), /^# yaml-language-server: \$schema=\.\/node_modules\/jararaca\/schemas\/service\.editor\.schema\.json\n/);

    mkdirSync(path.join(dir, 'node_modules'));
    symlinkSync(repoRoot, path.join(dir, 'node_modules/jararaca'));
    // The sources, not dist/: the repository is not built here.
    // Without NODE_TEST_CONTEXT: node --test inside a test would skip its files.
    const { NODE_TEST_CONTEXT: _, LOG_LEVEL: __, ...env } = process.env;
    const npm = spawn('npm', ['test'], { cwd: dir, env: { ...env, NODE_OPTIONS: '--conditions=source' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    npm.stdout.on('data', (d) => (output += d));
    npm.stderr.on('data', (d) => (output += d));
    const [code] = (await once(npm, 'exit')) as [number];
    assert.equal(code, 0, output);
    // Up to Node 22 the runner reports in TAP when not on a terminal (`# pass 3`); from Node 23 in spec (`ℹ pass 3`).
    assert.match(output, /^(#|ℹ) pass 3$/m);
  });

  it('refuses a folder that exists and is not empty, and a name that is not one', async () => {
    const parent = writeService({ 'taken/file.txt': 'x' });
    const taken = await runHost(['init', 'taken'], { cwd: parent });
    assert.equal(taken.code, 2);
    assert.match(taken.stderr, /exists and is not empty/);
    const bad = await runHost(['init', 'Bad Name'], { cwd: parent });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /'Bad Name' is not a valid name/);
  });
});
