// pglite://memory without running initdb for every database: a fresh PGlite spends ~2.3 s of CPU
// in initdb, and a test suite makes one per test host. A freshly initialised data directory is
// dumped once per machine and PGlite version (under the OS temp folder) and each memory database
// starts from it (~0.6 s), with the WASM module compiled once per process. The template holds
// no data of anyone's: only what initdb writes.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { PGlite as PGliteType } from '@electric-sql/pglite';

const require = createRequire(import.meta.url);
// CommonJS, as knex-pglite loads it: one copy of PGlite in the process.
const { PGlite } = require('@electric-sql/pglite') as typeof import('@electric-sql/pglite');
const dist = path.dirname(require.resolve('@electric-sql/pglite'));
const version = (JSON.parse(readFileSync(path.join(dist, '../package.json'), 'utf8')) as { version: string }).version;
const templateFile = path.join(tmpdir(), `jararaca-pglite-${version}-${process.getuid?.() ?? 'user'}.initdb.tar`);

let assets: { template: Blob; pgliteWasmModule: WebAssembly.Module; fsBundle: Blob } | undefined;
let making: Promise<void> | undefined;

/** A new in-memory PGlite: from the template when there is one (made in the background otherwise). */
export function memoryPglite(): PGliteType {
  if (!assets && existsSync(templateFile)) {
    try {
      assets = {
        template: new Blob([readFileSync(templateFile)]),
        pgliteWasmModule: new WebAssembly.Module(readFileSync(path.join(dist, 'pglite.wasm'))),
        fsBundle: new Blob([readFileSync(path.join(dist, 'pglite.data'))]),
      };
    } catch {
      assets = undefined; // unreadable: initdb as before
    }
  }
  if (assets) return new PGlite({ loadDataDir: assets.template, pgliteWasmModule: assets.pgliteWasmModule, fsBundle: assets.fsBundle });
  making ??= makeTemplate().catch(() => undefined); // best effort: a later database uses it
  return new PGlite();
}

async function makeTemplate(): Promise<void> {
  const pristine = new PGlite();
  try {
    await pristine.waitReady; // a dump asked for before would never settle
    const dump = await pristine.dumpDataDir('none');
    const partial = `${templateFile}.${process.pid}.tmp`;
    writeFileSync(partial, Buffer.from(await dump.arrayBuffer()));
    renameSync(partial, templateFile); // atomic: a concurrent reader sees all of it or none
  } finally {
    await pristine.close();
  }
}
