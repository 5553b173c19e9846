// `jararaca-host dev`: runs the service in a child process and restarts it when the declaration
// or any local module it loaded changes. A fresh process per version, so every module is loaded
// anew. A new version first loads beside the old one; only when it loaded does the old one stop
// (gracefully: it holds the port and the embedded database's files), then the new one starts. A
// version that does not load is reported and the old one keeps serving.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { watch } from 'chokidar';
import type { CliIO } from './io.ts';
import type { DevChildMessage } from './dev-child.ts';

export interface DevOptions {
  config: string;
  /** Arguments of `jararaca-host run` for each child (everything but --config). */
  runArgs: string[];
  /** Quiet time after the last change before a restart. */
  debounceMs?: number;
}

// The child runs the same entry the supervisor runs (bin.ts from the sources, bin.js built), with
// the same node flags (--conditions=source --import tsx when from the sources).
const entry = fileURLToPath(new URL(import.meta.url.endsWith('.js') ? '../bin.js' : '../bin.ts', import.meta.url));

interface Child {
  process: ChildProcess;
  /** Resolves with 'loaded' or 'ready' when the child says so, or 'exited'. */
  next(): Promise<'loaded' | 'ready' | 'exited'>;
  exited: Promise<number | null>;
}

export async function dev(options: DevOptions, io: CliIO): Promise<number> {
  const say = (line: string) => io.stderr.write(`jararaca-host dev: ${line}\n`);
  const shown = (file: string) => path.relative(process.cwd(), file) || file;
  const watched = new Set<string>([options.config]);
  const live = new Set<Child>();
  const watcher = watch([options.config], { ignoreInitial: true, awaitWriteFinish: { stabilityThreshold: 50, pollInterval: 20 } });

  const spawnChild = (): Child => {
    const child = spawn(process.execPath, [...process.execArgv, entry, 'run', '--config', options.config, ...options.runArgs], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      // Its own process group: a Ctrl-C reaches the supervisor, which stops the child once.
      detached: true,
      env: { ...process.env, JARARACA_DEV: '1', JARARACA_DEV_CHILD: '1' },
    });
    const events: Array<'loaded' | 'ready' | 'exited'> = [];
    const waiters: Array<() => void> = [];
    const push = (event: 'loaded' | 'ready' | 'exited') => {
      events.push(event);
      for (const w of waiters.splice(0)) w();
    };
    child.on('message', (message: DevChildMessage) => {
      if (message.type === 'module' && !watched.has(message.file)) {
        watched.add(message.file);
        watcher.add(message.file);
      } else if (message.type === 'loaded' || message.type === 'ready') push(message.type);
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => (push('exited'), live.delete(handle), resolve(code))));
    child.once('error', (err) => say(`cannot start a child: ${err.message}`));
    const handle: Child = {
      process: child,
      exited,
      next: () =>
        new Promise((resolve) => {
          const take = () => (events.length ? resolve(events.shift()!) : waiters.push(take));
          take();
        }),
    };
    live.add(handle);
    return handle;
  };

  let current: Child | undefined;
  let candidate: Child | undefined;
  let closing = false;

  // A second SIGTERM would make the child exit at once: each child is asked to stop once.
  const asked = new WeakSet<Child>();
  const stopChild = async (child: Child, signal: NodeJS.Signals = 'SIGTERM') => {
    const alive = child.process.exitCode === null && child.process.signalCode === null;
    if (alive && (signal === 'SIGKILL' || !asked.has(child))) child.process.kill(signal);
    asked.add(child);
    await child.exited;
  };

  /** One version: load it beside the current one, then swap. */
  const restart = async (reason: string) => {
    say(reason);
    const next = (candidate = spawnChild());
    if ((await next.next()) !== 'loaded') {
      if (candidate !== next || closing) return;
      candidate = undefined;
      say(current ? 'this version does not load (above); the previous one keeps serving until the next change' : 'the service does not load (above); waiting for a change');
      return;
    }
    if (candidate !== next || closing) return;
    const previous = current;
    current = undefined;
    if (previous) await stopChild(previous);
    current = next;
    candidate = undefined;
    next.process.send({ type: 'start' });
    if ((await next.next()) === 'ready') {
      say(`serving (pid ${next.process.pid}); watching ${watched.size} file(s)`);
      void next.next().then(async () => {
        const code = await next.exited;
        if (current === next && !closing) {
          current = undefined;
          say(`the service exited (code ${code}); waiting for a change`);
        }
      });
    } else if (current === next && !closing) {
      current = undefined;
      say('the service did not start (above); waiting for a change');
    }
  };

  // Changes are debounced, and restarts run one at a time; a change during one queues another.
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let changed: string[] = [];
  watcher.on('all', (event, file) => {
    if (closing) return;
    changed.push(shown(file));
    clearTimeout(timer);
    timer = setTimeout(() => {
      const files = [...new Set(changed)];
      changed = [];
      // A candidate still loading is outdated: it is dropped (nothing started in it).
      if (candidate) {
        const outdated = candidate;
        candidate = undefined;
        void stopChild(outdated, 'SIGKILL');
      }
      running = running.then(() => restart(`${files.join(', ')} changed: restarting`));
    }, options.debounceMs ?? 200);
  });

  running = restart(`starting ${shown(options.config)}`);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  closing = true;
  clearTimeout(timer);
  say(`${signal}: stopping`);
  await watcher.close();
  // Every child still alive: a candidate that has not started is dropped, the others stop gracefully.
  const last = current;
  await Promise.all([...live].map((child) => stopChild(child, child === candidate ? 'SIGKILL' : 'SIGTERM')));
  return last ? ((await last.exited) ?? 1) : 0;
}
