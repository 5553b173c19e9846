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

// Read once per process. PGlite reads its inputs with `.arrayBuffer()`: a Blob would copy 40 MB
// through its chunked stream reader for every database (~150 ms of CPU, ~0.4 s on busy cores);
// this hands each database its own copy of the bytes (one memcpy), so none sees another's writes.
let assets: { template: ArrayBuffer; pgliteWasmModule: WebAssembly.Module; fsBundle: ArrayBuffer } | undefined;
let making: Promise<void> | undefined;

/** What PGlite's loadDataDir / fsBundle read: `arrayBuffer()` and `type` (a tar, not gzipped). */
function bytes(buffer: ArrayBuffer): Blob {
  return { type: '', arrayBuffer: async () => buffer.slice(0) } as Blob;
}

function readBytes(file: string): ArrayBuffer {
  const b = readFileSync(file);
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

/** A new in-memory PGlite: from the template when there is one (made in the background otherwise). */
export function memoryPglite(): PGliteType {
  if (!assets && existsSync(templateFile)) {
    try {
      const wasm = readFileSync(path.join(dist, 'pglite.wasm'));
      assets = { template: readBytes(templateFile), pgliteWasmModule: new WebAssembly.Module(wasm), fsBundle: readBytes(path.join(dist, 'pglite.data')) };
    } catch {
      assets = undefined; // unreadable: initdb as before
    }
  }
  if (assets) return new PGlite({ loadDataDir: bytes(assets.template), pgliteWasmModule: assets.pgliteWasmModule, fsBundle: bytes(assets.fsBundle) });
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
