// What a project that installs jararaca meets: plugin packages found with ESM conditions, names
// it mistyped corrected, and --help listing the commands its plugins add.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { Host } from '../../host/host.ts';
import { main } from '../../host/cli/main.ts';
import { createLogger } from '../../host/core/logger.ts';
import { repoRoot, runHost, tempDir, writeService } from '../support/host.ts';

const silent = createLogger({ level: 'silent' });
const example = path.join(repoRoot, 'examples/tasks/service.yaml');

/** A project folder with service.yaml and packages under node_modules/. */
function project(yaml: string, packages: Record<string, Record<string, string>>): string {
  const dir = tempDir();
  writeFileSync(path.join(dir, 'service.yaml'), yaml);
  for (const [name, files] of Object.entries(packages)) {
    for (const [file, text] of Object.entries(files)) {
      const at = path.join(dir, 'node_modules', name, file);
      mkdirSync(path.dirname(at), { recursive: true });
      writeFileSync(at, text);
    }
  }
  return dir;
}

// A plugin without importing jararaca (the temporary folder has no copy of it): what definePlugin() returns.
const pluginSource = (name: string) => `export default { name: '${name}', [Symbol.for('jararaca.plugin')]: true, setup() { return {}; } };\n`;

async function cli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += d));
  stderr.on('data', (d) => (err += d));
  const code = await main(argv, { stdout, stderr });
  return { code, stdout: out, stderr: err };
}

describe('plugin packages', () => {
  it('a package whose exports has only the "import" condition loads, its root and a subpath', async () => {
    const dir = project('name: x\ninterceptors:\n  - use: esm-only-plugin\n  - use: "@acme/audit/strict"\n', {
      'esm-only-plugin': {
        'package.json': JSON.stringify({ name: 'esm-only-plugin', type: 'module', exports: { import: './index.js' } }),
        'index.js': pluginSource('esm-only'),
      },
      '@acme/audit': {
        'package.json': JSON.stringify({ name: '@acme/audit', type: 'module', exports: { '.': { import: './index.js' }, './*': { types: './types/*.d.ts', import: './lib/*.js' } } }),
        'index.js': pluginSource('audit'),
        'lib/strict.js': pluginSource('audit-strict'),
      },
    });
    const host = await Host.load({ config: path.join(dir, 'service.yaml'), roles: [], logger: silent });
    assert.deepEqual(
      host.plugins.map((p) => p.definition.name),
      ['esm-only', 'audit-strict'],
    );
  });

  it('a package without exports is found by its main', async () => {
    const dir = project('name: x\ninterceptors:\n  - use: old-style\n', {
      'old-style': { 'package.json': JSON.stringify({ name: 'old-style', type: 'module', main: 'lib/main.js' }), 'lib/main.js': pluginSource('old') },
    });
    const host = await Host.load({ config: path.join(dir, 'service.yaml'), roles: [], logger: silent });
    assert.equal(host.plugins[0].definition.name, 'old');
  });
});

describe('the command line', () => {
  it('an unknown command says which one was meant', async () => {
    const result = await cli(['migrat', '--config', example]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^jararaca-host: unknown command 'migrat' \(did you mean 'migrate'\?\); this service's plugins add: dlq, declare, migrate\n/);
  });

  it("--help lists the declared plugins' commands with their summaries", async () => {
    const result = await cli(['--help', '--config', example]);
    assert.equal(result.code, 0);
    assert.match(result.stdout, /^Usage: jararaca-host /);
    assert.match(result.stdout, /^Commands of the plugins .*service\.yaml declares:\n {2}dlq +.+ \(message-bus\)\n {2}declare +.+ \(message-bus\)\n {2}migrate +run, undo or list knex migrations.* \(knex-session\)\n/m);
  });
});

describe('one copy of the framework', () => {
  it('a second install (a plugin with its own node_modules/jararaca) is refused, naming both installs and peerDependencies', async () => {
    const dir = writeService({ 'service.yaml': 'name: x\n' });
    const copy = path.join(dir, 'node_modules/some-plugin/node_modules/jararaca');
    cpSync(path.join(repoRoot, 'host/core'), path.join(copy, 'host/core'), { recursive: true });
    writeFileSync(path.join(copy, 'package.json'), JSON.stringify({ name: 'jararaca', type: 'module' }));
    await assert.rejects(import(pathToFileURL(path.join(copy, 'host/core/execution.ts')).href), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'JRR_DUPLICATE_INSTANCE');
      assert.ok(err.message.includes(`two installs of jararaca are loaded in one process: ${repoRoot.replace(/\/$/, '')} and ${copy}.`), err.message);
      assert.match(err.message, /list jararaca under its peerDependencies/);
      return true;
    });
  });
});

describe('the package', () => {
  it('ships the docs, whose relative links stay inside the package, and no config/ pointing at unshipped examples', () => {
    const run = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: repoRoot, encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const files = new Set((JSON.parse(run.stdout) as Array<{ files: Array<{ path: string }> }>)[0].files.map((f) => f.path));
    for (const page of ['docs/testing.md', 'docs/api.md', 'docs/errors.md', 'docs/service-yaml.md', 'schemas/service.schema.json', 'schemas/service.editor.schema.json', 'host/testing/index.ts', 'templates/init/service.yaml', 'templates/init/gitignore']) assert.ok(files.has(page), `${page} is not in the package`);
    assert.deepEqual([...files].filter((f) => f.startsWith('config/') || f.startsWith('test/') || f.startsWith('examples/')), []);
    const dead: string[] = [];
    for (const page of [...files].filter((f) => f.startsWith('docs/') && f.endsWith('.md'))) {
      for (const [, target] of readFileSync(path.join(repoRoot, page), 'utf8').matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
        if (/^[a-z]+:/.test(target)) continue;
        const file = path.posix.normalize(path.posix.join(path.posix.dirname(page), target));
        if (!files.has(file) && ![...files].some((f) => f.startsWith(`${file}/`))) dead.push(`${page} → ${target}`);
      }
    }
    assert.deepEqual(dead, []);
  });
});

describe('the working directory', () => {
  it("the built jararaca-host reads the tsconfig.json nearest the declaration, not the working directory's: the same result from anywhere", async () => {
    // The service's own tsconfig compiles decorators the legacy way: a mistake, to be reported
    // whether jararaca-host runs from the service's folder, its parent or elsewhere.
    const dir = writeService({});
    cpSync(path.join(repoRoot, 'examples/tasks'), dir, { recursive: true });
    writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { experimentalDecorators: true } }));
    for (const cwd of [dir, path.dirname(dir), tempDir()]) {
      const result = await runHost(['validate', '--config', path.join(dir, 'service.yaml')], { cwd, built: true });
      assert.equal(result.code, 2, `from ${cwd}: ${result.stdout}${result.stderr}`);
      assert.match(result.stderr, /ran as a legacy TypeScript decorator/, `from ${cwd}`);
    }
  });
});
