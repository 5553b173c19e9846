// A WebSocket test client: connected before it is returned, every JSON frame kept in order.
import { once } from 'node:events';
import WebSocket from 'ws';
import { JararacaError } from '../core/errors.ts';

export interface WsFrame {
  readonly type?: string;
  readonly data?: unknown;
  readonly [key: string]: unknown;
}

export interface TestWsClient {
  /** Every frame received so far, parsed as JSON (text that is not JSON is kept as `{ text }`). */
  readonly frames: readonly WsFrame[];
  /** Frames of one `type`. */
  framesOf(type: string): WsFrame[];
  /** The first frame (received already or later) that matches; rejects after `timeoutMs` (default 5000). */
  next(match?: string | ((frame: WsFrame) => boolean), timeoutMs?: number): Promise<WsFrame>;
  send(message: unknown): void;
  close(): Promise<void>;
}

export async function connectWs(url: string, headers: Record<string, string> = {}): Promise<TestWsClient> {
  const socket = new WebSocket(url, { headers });
  const frames: WsFrame[] = [];
  const waiters = new Set<() => void>();
  socket.on('message', (raw) => {
    const text = raw.toString();
    let frame: WsFrame;
    try {
      frame = JSON.parse(text) as WsFrame;
    } catch {
      frame = { text };
    }
    frames.push(frame);
    for (const wake of [...waiters]) wake();
  });
  const [event] = await Promise.race([once(socket, 'open').then(() => ['open'] as const), once(socket, 'unexpected-response').then(([, res]) => [`HTTP ${(res as { statusCode: number }).statusCode}`] as const), once(socket, 'error').then(([err]) => [String((err as Error).message)] as const)]);
  if (event !== 'open') {
    socket.terminate();
    throw new JararacaError('JRR_TEST_WS_CONNECT', `the test WebSocket client could not connect to ${url}: ${event}`);
  }
  const matcher = (match?: string | ((frame: WsFrame) => boolean)) => (typeof match === 'string' ? (f: WsFrame) => f.type === match : (match ?? (() => true)));
  return {
    frames,
    framesOf: (type) => frames.filter((f) => f.type === type),
    next(match, timeoutMs = 5000) {
      const accepts = matcher(match);
      return new Promise<WsFrame>((resolve, reject) => {
        const check = () => {
          const found = frames.find(accepts);
          if (!found) return false;
          resolve(found);
          return true;
        };
        if (check()) return;
        const timer = setTimeout(() => {
          waiters.delete(wake);
          reject(new JararacaError('JRR_TEST_TIMEOUT', `no matching WebSocket frame within ${timeoutMs} ms; frames: ${JSON.stringify(frames)}`));
        }, timeoutMs);
        const wake = () => {
          if (check()) {
            clearTimeout(timer);
            waiters.delete(wake);
          }
        };
        waiters.add(wake);
      });
    },
    send: (message) => socket.send(typeof message === 'string' ? message : JSON.stringify(message)),
    async close() {
      if (socket.readyState === WebSocket.CLOSED) return;
      const closed = once(socket, 'close');
      socket.close();
      await closed;
    },
  };
}
