// pglite://memory: PostgreSQL in WASM, in a child process of this one (pglite-process.ts), which
// lives and dies with it. There, a database's start (~1 s of CPU: the data directory unpacked,
// the server's own start-up, WASM compiled) and its queries run beside the service's event loop,
// not on it: a test host's database starts while the service's modules load, and a slow query
// does not stall HTTP. Without running initdb for every database: a freshly initialised data
// directory is dumped once per machine and PGlite version (under the OS temp folder) and each
// memory database starts from it. The template holds no data of anyone's: only what initdb
// writes, less its template databases (pglite-process.ts says why).
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PGlite as PGliteType } from '@electric-sql/pglite';
import type { ChildReply, ChildRequest, SerializedError } from './pglite-process.ts';

const require = createRequire(import.meta.url);
const dist = path.dirname(require.resolve('@electric-sql/pglite'));
const version = (JSON.parse(readFileSync(path.join(dist, '../package.json'), 'utf8')) as { version: string }).version;
const templateFile = path.join(tmpdir(), `jararaca-pglite-${version}-${process.getuid?.() ?? 'user'}.postgres-db.tar`);

/** What knex's client (memory-client.ts) uses of a PGlite: the same calls, answered by the child process. */
export type MemoryPglite = Pick<PGliteType, 'query' | 'exec' | 'close' | 'waitReady' | 'closed'>;

type Pending = { resolve: (value: unknown) => void; reject: (err: Error) => void };

let child: ChildProcess | undefined;
let childGone: Promise<never> | undefined; // rejects with the reason, once the child is found gone
let nextId = 0;
const pending = new Map<number, Pending>();
let open = 0; // databases not closed yet: the child keeps this process alive only while there are some
let spare: Handle | undefined;

/** PostgreSQL's error as PGlite threw it in the child: its message, name and fields (code = SQLSTATE, detail, constraint...). */
class DatabaseError extends Error {
  constructor(error: SerializedError) {
    super(error.message);
    Object.assign(this, error.fields);
    this.name = error.name;
  }
}

// Whether this process's event loop waits for the child: only while a database is in use.
function keepAlive(target: ChildProcess, held: boolean): void {
  if (held) {
    target.ref();
    target.channel?.ref();
  } else {
    target.unref();
    target.channel?.unref();
  }
}

// errors.ts imports the framework ('jararaca'): loaded on the first failure, not with this module,
// so the test kit can start a database before the framework has loaded (host/testing/embedded.ts).
async function unavailable(message: string, cause?: unknown): Promise<never> {
  const { DatabaseUnavailableError } = await import('./errors.ts');
  throw new DatabaseUnavailableError('JRR_DB_UNAVAILABLE', message, { cause });
}

function processGone(reason: string, cause?: unknown): Promise<never> {
  return unavailable(`the pglite://memory database's process stopped (${reason}): restart the service`, cause);
}

function startChild(): ChildProcess {
  // Built, the child is plain JavaScript. From source (this repository's tests), it loads tsx.
  const fromSource = import.meta.url.endsWith('.ts');
  const file = new URL(fromSource ? './pglite-process.ts' : './pglite-process.js', import.meta.url);
  const loader = fromSource ? ['--import', import.meta.resolve('tsx')] : [];
  // Not this process's flags (an inspector, a CPU profile): its own, and structured clone for
  // the rows (Dates, bytes) as a worker's postMessage had.
  const started = fork(fileURLToPath(file), [templateFile], { execArgv: ['--liftoff-only', ...loader], serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  keepAlive(started, false);
  started.on('message', (message: unknown) => {
    const reply = message as ChildReply;
    const waiting = pending.get(reply.id);
    pending.delete(reply.id);
    if (reply.error) waiting?.reject(new DatabaseError(reply.error));
    else waiting?.resolve(reply.result);
  });
  const fail = (reason: string, cause?: unknown) => {
    const gone = processGone(reason, cause);
    gone.catch(() => undefined); // rejected for every later call; none may be waiting now
    childGone = gone;
    for (const waiting of pending.values()) gone.catch(waiting.reject);
    pending.clear();
    child = undefined;
  };
  started.on('error', (err) => fail(err.message, err));
  started.on('exit', (code, signal) => {
    if (child === started) fail(signal ? `signal ${signal}` : `exit code ${code}`);
  });
  // This process's event loop is empty (no database in use): the child is let go now and
  // waited for, rather than left to notice the closed channel after this process is gone. So
  // nothing outlives the service even for a moment, and its CPU counts as this process's child's.
  process.once('beforeExit', () => {
    if (child !== started || !started.connected) return;
    child = undefined; // let go on purpose: its exit is no failure, and a later database starts another
    keepAlive(started, true);
    started.disconnect();
  });
  return started;
}

function send(request: ChildRequest): Promise<unknown> {
  if (childGone) return childGone;
  child ??= startChild();
  const target = child;
  return new Promise((resolve, reject) => {
    pending.set(request.id, { resolve, reject });
    target.send(request, (err) => {
      if (!err) return;
      pending.delete(request.id);
      processGone(err.message, err).catch(reject);
    });
  });
}

type Handle = MemoryPglite & { hold(): void };

function newMemoryPglite(): Handle {
  const db = ++nextId;
  let closed = false;
  let held = false;
  const call = (request: ChildRequest extends infer R ? (R extends { db: number; id: number } ? Omit<R, 'db' | 'id'> : never) : never): Promise<unknown> => {
    if (closed) return unavailable('the pglite://memory database is closed (its host stopped)');
    return send({ ...request, db, id: ++nextId } as ChildRequest);
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
    // Like a PGlite of this process, a database in use keeps the process alive until closed; a spare does not.
    hold() {
      held = true;
      if (open++ === 0 && child) keepAlive(child, true);
    },
    async close() {
      if (closed) return;
      const done = call({ op: 'close' });
      closed = true;
      try {
        await done;
      } finally {
        if (held && --open === 0 && child) keepAlive(child, false);
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
 * calls it, so the database starts in its process while the service's modules load. Nobody
 * taking it costs its start-up on the other core, and does not keep this process alive.
 */
export function prepareMemoryPglite(): void {
  spare ??= newMemoryPglite();
}
