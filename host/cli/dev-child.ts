// The host child of `jararaca-host dev` (JARARACA_DEV_CHILD=1, an IPC channel to the supervisor):
// reports every local module it loads (the supervisor watches them), says when the service has
// loaded, waits for the supervisor's go (the previous version stops first: it holds the port and
// the embedded database), and says when it is ready.
import { register } from 'node:module';
import { fileURLToPath } from 'node:url';
import { MessageChannel } from 'node:worker_threads';

/** Messages between the supervisor and its child. */
export type DevChildMessage = { type: 'module'; file: string } | { type: 'loaded' } | { type: 'ready' };
export type DevParentMessage = { type: 'start' };

// A loader hook (in the loaders' thread, so as a data: URL, not a file that would need a build):
// every file: URL loaded, outside node_modules, is posted to the main thread.
const HOOKS = `
let port;
export function initialize(data) { port = data.port; }
export async function load(url, context, nextLoad) {
  if (url.startsWith('file:') && !url.includes('/node_modules/')) port.postMessage(url);
  return nextLoad(url, context);
}`;

export interface DevChild {
  /** The service loaded: tell the supervisor, and wait until it says to start. */
  loaded(): Promise<void>;
  ready(): void;
  /** The supervisor went away (killed, or its terminal closed): stop like on SIGTERM. */
  onOrphaned(fn: () => void): void;
}

/** In a child of `jararaca-host dev`, starts reporting loaded modules; else undefined. */
export function devChild(): DevChild | undefined {
  if (process.env.JARARACA_DEV_CHILD !== '1' || !process.send) return undefined;
  const send = (message: DevChildMessage) => process.send?.(message);
  const { port1, port2 } = new MessageChannel();
  port1.on('message', (url: string) => send({ type: 'module', file: fileURLToPath(url) }));
  port1.unref();
  register(`data:text/javascript,${encodeURIComponent(HOOKS)}`, { data: { port: port2 }, transferList: [port2] });
  return {
    loaded() {
      send({ type: 'loaded' });
      return new Promise<void>((resolve) => {
        const onMessage = (message: DevParentMessage) => {
          if (message?.type !== 'start') return;
          process.off('message', onMessage);
          resolve();
        };
        process.on('message', onMessage);
      });
    },
    ready() {
      send({ type: 'ready' });
    },
    onOrphaned(fn) {
      process.once('disconnect', fn);
    },
  };
}
