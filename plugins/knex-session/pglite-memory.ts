// pglite://memory: PostgreSQL in WASM, on a worker thread of this process (pglite-thread.ts).
// On the thread, a database's start (~1 s of CPU: the data directory unpacked, the server's own
// start-up, WASM compiled) and its queries run beside the service's event loop, not on it: a
// test host's database starts while the service's modules load, and a slow query does not stall
// HTTP. Without running initdb for every database: a freshly initialised data directory is
// dumped once per machine and PGlite version (under the OS temp folder) and each memory database
// starts from it. The template holds no data of anyone's: only what initdb writes, less its
// template databases (pglite-thread.ts says why).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { PGlite as PGliteType } from '@electric-sql/pglite';
import { DatabaseUnavailableError } from './errors.ts';
import type { SerializedError, ThreadData, ThreadReply, ThreadRequest } from './pglite-thread.ts';

const require = createRequire(import.meta.url);
const dist = path.dirname(require.resolve('@electric-sql/pglite'));
const version = (JSON.parse(readFileSync(path.join(dist, '../package.json'), 'utf8')) as { version: string }).version;
const templateFile = path.join(tmpdir(), `jararaca-pglite-${version}-${process.getuid?.() ?? 'user'}.postgres-db.tar`);

/** What knex's client (memory-client.ts) uses of a PGlite: the same calls, answered by the thread. */
export type MemoryPglite = Pick<PGliteType, 'query' | 'exec' | 'close' | 'waitReady' | 'closed'>;

type Pending = { resolve: (value: unknown) => void; reject: (err: Error) => void };

let thread: Worker | undefined;
let threadError: Error | undefined;
let nextId = 0;
const pending = new Map<number, Pending>();
let open = 0; // databases not closed yet: the thread keeps the process alive only while there are some
let spare: Handle | undefined;

/** PostgreSQL's error as PGlite threw it on the thread: its message, name and fields (code = SQLSTATE, detail, constraint...). */
class DatabaseError extends Error {
  constructor(error: SerializedError) {
    super(error.message);
    Object.assign(this, error.fields);
    this.name = error.name;
  }
}

function startThread(): Worker {
  const data: ThreadData = { templateFile };
  // Built, the thread is plain JavaScript and needs no loader. From source (this repository's
  // tests), it registers tsx itself: a worker does not inherit the `--import tsx` hooks on Node 20.
  const worker = fileURLToPath(import.meta.url).endsWith('.ts')
    ? new Worker(`import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((tsx) => { tsx.register(); return import(${JSON.stringify(new URL('./pglite-thread.ts', import.meta.url).href)}); });`, { eval: true, workerData: data })
    : new Worker(new URL('./pglite-thread.js', import.meta.url), { workerData: data, execArgv: [] });
  worker.unref();
  worker.on('message', (reply: ThreadReply) => {
    const waiting = pending.get(reply.id);
    pending.delete(reply.id);
    if (reply.error) waiting?.reject(new DatabaseError(reply.error));
    else waiting?.resolve(reply.result);
  });
  const fail = (reason: string, cause?: unknown) => {
    threadError = new DatabaseUnavailableError('JRR_DB_UNAVAILABLE', `the pglite://memory database's thread stopped (${reason}): restart the process`, { cause });
    for (const waiting of pending.values()) waiting.reject(threadError);
    pending.clear();
    thread = undefined;
  };
  worker.on('error', (err) => fail(err.message, err));
  worker.on('exit', (code) => {
    if (thread === worker) fail(`exit code ${code}`);
  });
  return worker;
}

function send(request: ThreadRequest): Promise<unknown> {
  if (threadError) return Promise.reject(threadError);
  thread ??= startThread();
  const worker = thread;
  return new Promise((resolve, reject) => {
    pending.set(request.id, { resolve, reject });
    worker.postMessage(request);
  });
}

type Handle = MemoryPglite & { hold(): void };

function newMemoryPglite(): Handle {
  const db = ++nextId;
  let closed = false;
  let held = false;
  const call = (request: ThreadRequest extends infer R ? (R extends { db: number; id: number } ? Omit<R, 'db' | 'id'> : never) : never): Promise<unknown> => {
    if (closed) return Promise.reject(new DatabaseUnavailableError('JRR_DB_UNAVAILABLE', 'the pglite://memory database is closed (its host stopped)'));
    return send({ ...request, db, id: ++nextId } as ThreadRequest);
  };
  const waitReady = send({ op: 'open', db, id: db }).then(() => undefined);
  waitReady.catch(() => undefined); // awaited by whoever connects; a spare nobody takes must not crash the process
  return {
    waitReady,
    get closed() {
      return closed;
    },
    query: ((sql: string, params?: unknown[], options?: unknown) => call({ op: 'query', sql, params, options })) as PGliteType['query'],
    exec: ((sql: string) => call({ op: 'exec', sql })) as PGliteType['exec'],
    // Like a PGlite of this thread, a database in use keeps the process alive until closed; a spare does not.
    hold() {
      held = true;
      if (open++ === 0) thread?.ref();
    },
    async close() {
      if (closed) return;
      const done = call({ op: 'close' });
      closed = true;
      try {
        await done;
      } finally {
        if (held && --open === 0) thread?.unref();
      }
    },
  };
}

/** A new in-memory database (the one prepareMemoryPglite() started, when there is one). */
export function memoryPglite(): MemoryPglite {
  const db = spare ?? newMemoryPglite();
  spare = undefined;
  db.hold();
  return db;
}

/**
 * Starts a memory database ahead of need, for the next memoryPglite(): knex-session's preload
 * calls it, so the database starts on its thread while the service's modules load. Nobody
 * taking it costs its start-up on the other core, and does not keep the process alive.
 */
export function prepareMemoryPglite(): void {
  spare ??= newMemoryPglite();
}
