// The layering of host/ and plugins/ (docs/architecture.md): no import cycles, no database,
// broker or cache driver in the host, and each layer imports only the layers below it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { importCycles, importsOf, publicEntries, resolveOwn, sourceFiles } from '../support/imports.ts';

const files = [...sourceFiles('host'), ...sourceFiles('plugins')];

test('no import cycle in host/ or plugins/', () => {
  const cycles = importCycles(files);
  assert.deepEqual(cycles.map((c) => c.join(' → ')), []);
});

test('no driver (ioredis, pg, amqplib, knex) is imported under host/', () => {
  const drivers = /^(ioredis|pg|amqplib|knex|knex-pglite|@electric-sql\/pglite|mqemitter-redis)(\/|$)/;
  const found = sourceFiles('host').flatMap((f) => importsOf(f).filter((s) => drivers.test(s)).map((s) => `${f} imports ${s}`));
  assert.deepEqual(found, []);
});

// What may import what: core is the base; roles use core (and the lifecycle's types); the CLI
// sits on top; plugins use only the public entry points.
const LAYERS: Array<[prefix: string, mayImport: string[]]> = [
  ['host/core/', ['host/core/']],
  ['host/runtime/', ['host/core/', 'host/runtime/']],
  ['host/host.ts', ['host/core/']],
  ['host/roles/', ['host/core/', 'host/runtime/', 'host/host.ts', 'host/roles/']],
  // The test kit runs a service in process: the lifecycle and the roles, beside the CLI.
  ['host/testing/', ['host/core/', 'host/runtime/', 'host/host.ts', 'host/roles/', 'host/testing/']],
  // The contracts (OpenAPI document, generated clients) read a loaded service and its routes.
  ['host/contracts/', ['host/core/', 'host/runtime/', 'host/host.ts', 'host/roles/', 'host/contracts/']],
  ['host/cli/', ['host/core/', 'host/runtime/', 'host/host.ts', 'host/roles/', 'host/contracts/', 'host/cli/']],
];

const kitEntry = publicEntries.get('jararaca/knex-session/embedded');

test('each layer of host/ imports only the layers below it; plugins import only the public API', () => {
  const wrong: string[] = [];
  for (const file of files) {
    for (const specifier of importsOf(file)) {
      const target = resolveOwn(file, specifier);
      if (!target) continue;
      if (file.startsWith('plugins/')) {
        const ownPlugin = file.split('/').slice(0, 2).join('/') + '/';
        if (target.startsWith('host/') && target !== 'host/index.ts') wrong.push(`${file} imports ${target} (use 'jararaca')`);
        if (target.startsWith('plugins/') && !target.startsWith(ownPlugin) && !target.endsWith('/index.ts')) wrong.push(`${file} imports ${target}`);
        continue;
      }
      // The test kit starts the embedded database it defaults to through knex-session's public
      // entry for it (jararaca/knex-session/embedded), never through a plugin's internals.
      if (file.startsWith('host/testing/') && target === kitEntry) continue;
      const rule = LAYERS.find(([prefix]) => file.startsWith(prefix));
      if (rule && !rule[1].some((allowed) => target.startsWith(allowed))) wrong.push(`${file} imports ${target}`);
    }
  }
  assert.deepEqual(wrong, []);
});
