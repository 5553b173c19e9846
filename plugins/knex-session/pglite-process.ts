// The child process that holds a process's pglite://memory databases (see pglite-memory.ts):
// PostgreSQL in WASM starts and runs here, beside the service's event loop rather than on it.
// One child for all the memory databases of a process, so PGlite's JavaScript is loaded and its
// WASM compiled once. Databases start from the initdb template (made here on first need).
// A process rather than a worker thread for its V8 flags: it runs with --liftoff-only, which
// spares the ~1.5 s of CPU V8 spends compiling PostgreSQL's hot functions with TurboFan while
// it starts (on the cores the service is loading on); small queries run as fast either way.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import module, { createRequire } from 'node:module';
import path from 'node:path';
import type { PGlite as PGliteType } from '@electric-sql/pglite';

/** Every request has an id of its own (an open's is its database's: both come from one counter), answered by one reply. */
export type ChildRequest =
  | { op: 'open'; db: number; id: number }
  | { op: 'query'; db: number; id: number; sql: string; params?: unknown[]; options?: unknown }
  | { op: 'exec'; db: number; id: number; sql: string }
  | { op: 'close'; db: number; id: number };

export interface ChildReply {
  id: number;
  result?: unknown;
  error?: SerializedError;
}

/** What crosses the process boundary of a thrown error: its message and its own fields (code, detail, constraint...). */
export interface SerializedError {
  name: string;
  message: string;
  fields: Record<string, unknown>;
}

// The compile cache on (see jararaca's runtime/compile-cache.ts): PGlite's JavaScript is compiled
// once per machine, not per process.
(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();
const require = createRequire(import.meta.url);
const { PGlite } = require('@electric-sql/pglite') as typeof import('@electric-sql/pglite');
const dist = path.dirname(require.resolve('@electric-sql/pglite'));
const templateFile = process.argv[2];
// A reply after the parent let go (a spare nobody took, still starting when its process ended)
// has no one to go to: dropped, not an EPIPE thrown on the terminal the two processes share.
const send = (reply: ChildReply) => {
  if (process.connected) process.send?.(reply, undefined, undefined, () => undefined);
};
// Its databases live as long as the process that started it: it goes when that one's IPC
// channel closes (however that one ended), and ignores the signals a terminal sends the whole
// group, so a service shutting down on Ctrl-C still has its database for its last queries.
process.on('disconnect', () => process.exit(0));
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => undefined);

type Assets = { template: ArrayBuffer; pgliteWasmModule: WebAssembly.Module; fsBundle: ArrayBuffer };
let assets: Assets | undefined;
let making: Promise<void> | undefined;
const databases = new Map<number, PGliteType>();

/** What PGlite's loadDataDir / fsBundle read: `arrayBuffer()` and `type` (a tar, not gzipped); each database its own copy. */
function bytes(buffer: ArrayBuffer): Blob {
  return { type: '', arrayBuffer: async () => buffer.slice(0) } as Blob;
}

function readBytes(file: string): ArrayBuffer {
  const b = readFileSync(file);
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

function newDatabase(): PGliteType {
  if (!assets && existsSync(templateFile)) {
    try {
      assets = { template: readBytes(templateFile), pgliteWasmModule: new WebAssembly.Module(readFileSync(path.join(dist, 'pglite.wasm'))), fsBundle: readBytes(path.join(dist, 'pglite.data')) };
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
    // A memory database is only ever the 'postgres' one (PGlite connects to it; it cannot
    // connect to another): initdb's template databases are 15 of the 40 MB and ~600 of the ~1,000
    // files every database would unpack at its start (~0.1–0.3 s each). CREATE DATABASE is what
    // they serve, and it has nowhere to connect to here.
    // One statement each: DROP DATABASE refuses to run in a multi-statement string.
    for (const sql of [`UPDATE pg_database SET datistemplate = false WHERE datname IN ('template0', 'template1')`, 'DROP DATABASE template0', 'DROP DATABASE template1', 'CHECKPOINT']) await pristine.exec(sql);
    const dump = await pristine.dumpDataDir('none');
    const partial = `${templateFile}.${process.pid}.tmp`;
    writeFileSync(partial, Buffer.from(await dump.arrayBuffer()));
    renameSync(partial, templateFile); // atomic: a concurrent reader sees all of it or none
  } finally {
    await pristine.close();
  }
}

function serialize(err: unknown): SerializedError {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err), fields: {} };
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(err)) if (typeof value !== 'function' && typeof value !== 'object') fields[key] = value;
  return { name: err.name, message: err.message, fields };
}

process.on('message', async (message: unknown) => {
  const request = message as ChildRequest;
  if (request.op === 'open') {
    try {
      const db = newDatabase();
      databases.set(request.db, db);
      await db.waitReady;
      send({ id: request.id } satisfies ChildReply);
    } catch (err) {
      databases.delete(request.db);
      send({ id: request.id, error: serialize(err) } satisfies ChildReply);
    }
    return;
  }
  const db = databases.get(request.db);
  if (!db) {
    send({ id: request.id, error: { name: 'Error', message: 'PGlite is closed', fields: {} } } satisfies ChildReply);
    return;
  }
  try {
    let result: unknown;
    if (request.op === 'query') result = await db.query(request.sql, request.params, request.options as never);
    else if (request.op === 'exec') result = await db.exec(request.sql);
    else {
      databases.delete(request.db);
      await db.close();
    }
    send({ id: request.id, result } satisfies ChildReply);
  } catch (err) {
    send({ id: request.id, error: serialize(err) } satisfies ChildReply);
  }
});
