// Test helpers: spawn `jararaca-host` as a real process, write throwaway service folders,
// and give each test file its own names on the shared servers.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventually } from './eventually.ts';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** URLs of the real servers that `scripts/services.sh start` runs (override with the same env vars). */
export const servers = {
  postgres: process.env.DATABASE_URL ?? 'postgres://jararaca:jararaca@127.0.0.1:5432/jararaca',
  amqp: process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
  redis: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
};

/** A name unique to this test run, for databases, queues, exchanges and Redis prefixes. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 6)}`.toLowerCase();
}

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  server.close();
  await once(server, 'close');
  return port;
}

// Folders written by writeService in this test process, removed when it exits.
const written: string[] = [];
process.once('exit', () => {
  for (const dir of written) rmSync(dir, { recursive: true, force: true });
});

/**
 * Writes files into a fresh temporary folder inside the repository (so `import 'jararaca'`
 * resolves to this package). Returns the folder; it is removed when the test process exits.
 */
export function writeService(files: Record<string, string>): string {
  const base = path.join(repoRoot, '.tmp');
  mkdirSync(base, { recursive: true });
  const dir = mkdtempSync(path.join(base, 'svc-'));
  written.push(dir);
  for (const [name, text] of Object.entries(files)) {
    const file = path.join(dir, name);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
  return dir;
}

export function tempDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'jrr-'));
}

export interface SpawnedHost {
  readonly child: ChildProcess;
  readonly url: string;
  readonly port: number;
  /** Everything the process wrote so far (stdout and stderr). */
  output(): string;
  /** JSON log lines written so far. */
  logs(): Array<Record<string, unknown>>;
  /** Resolves when a log line matches. */
  waitForLog(match: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Sends SIGTERM and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited: Promise<number | null>;
}

export interface SpawnOptions {
  args?: string[];
  env?: Record<string, string | undefined>;
  /** Run the built bin (dist/host/bin.js) instead of the sources. */
  built?: boolean;
  /** Wait for /health/ready (default true when an http role runs). */
  waitReady?: boolean;
  port?: number;
  cwd?: string;
  timeoutMs?: number;
}

/** The command line that runs jararaca-host from the sources (tsx, `source` export condition). */
export function hostCommand(built = false): string[] {
  return built
    ? [path.join(repoRoot, 'dist/host/bin.js')]
    : ['--conditions=source', '--import', 'tsx', path.join(repoRoot, 'host/bin.ts')];
}

/** Runs jararaca-host to completion (for validate, bad declarations...). */
export async function runHost(args: string[], options: { env?: Record<string, string | undefined>; cwd?: string; built?: boolean } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [...hostCommand(options.built), ...args], {
    cwd: options.cwd ?? repoRoot,
    env: { ...process.env, LOG_LEVEL: 'warn', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, stdout, stderr };
}

/** Spawns `jararaca-host run ...` and waits until it is ready. Always call stop(). */
export async function spawnHost(config: string, options: SpawnOptions = {}): Promise<SpawnedHost> {
  const port = options.port ?? (await freePort());
  const args = ['--config', config, '--port', String(port), ...(options.args ?? [])];
  const child = spawn(process.execPath, [...hostCommand(options.built), ...args], {
    cwd: options.cwd ?? repoRoot,
    env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'info', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const waiters: Array<() => void> = [];
  const onData = (d: Buffer) => {
    out += d.toString();
    for (const w of waiters.splice(0)) w();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  const logs = () =>
    out
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .flatMap((l) => {
        try {
          return [JSON.parse(l) as Record<string, unknown>];
        } catch {
          return [];
        }
      });
  const url = `http://127.0.0.1:${port}`;
  const host: SpawnedHost = {
    child,
    url,
    port,
    output: () => out,
    logs,
    exited,
    async waitForLog(match, timeoutMs = 15000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = logs().find(match);
        if (found) return found;
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`log line not seen (exit ${child.exitCode}); output:\n${out}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 100);
        });
      }
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
  const roles = options.args?.includes('--role') ? options.args[options.args.indexOf('--role') + 1] : 'all';
  if (options.waitReady ?? (roles === 'http' || roles === 'all')) {
    const outcome = await eventually(
      '/health/ready',
      async () => (child.exitCode !== null ? 'exited' : (await fetch(`${url}/health/ready`)).status === 200 && 'ready'), // a refused connection is retried
      { timeoutMs: options.timeoutMs ?? 30000, intervalMs: 100 },
    ).catch(() => 'not ready' as const);
    if (outcome === 'exited') throw new Error(`jararaca-host exited with ${child.exitCode} before it was ready:\n${out}`);
    if (outcome === 'not ready') {
      await host.stop('SIGKILL');
      throw new Error(`jararaca-host was not ready within ${options.timeoutMs ?? 30000} ms:\n${out}`);
    }
  }
  return host;
}

/** JSON request helper. */
export async function http(method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(url, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON */
  }
  return { status: res.status, body: parsed, headers: res.headers };
}
