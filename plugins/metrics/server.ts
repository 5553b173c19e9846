// `port:` — the exposition on a port of its own (any role), for a scrape port apart from the
// API's, or a process with no HTTP or health server.
import type { Server } from 'node:http';
import { once } from 'node:events';
import type { Logger } from 'pino';

// From node:http's CommonJS module, not an ESM import: its ESM facade reads every export, and
// three are getters that load undici (~40 ms of a start).
const { createServer } = process.getBuiltinModule('node:http');

/** Prometheus's text exposition format. */
export const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export interface MetricsServer {
  readonly port: number;
  close(): Promise<void>;
}

export async function startMetricsServer(path: string, port: number, host: string, render: () => Promise<string>, logger: Logger): Promise<MetricsServer> {
  const server: Server = createServer((request, response) => {
    const url = (request.url ?? '/').split('?')[0];
    if (url !== path || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end(`not found: the metrics are at ${path}\n`);
      return;
    }
    render().then(
      (text) => response.writeHead(200, { 'content-type': CONTENT_TYPE }).end(request.method === 'HEAD' ? undefined : text),
      (err: unknown) => {
        logger.error({ err }, 'metrics: could not render the exposition');
        response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('metrics unavailable\n');
      },
    );
  });
  server.listen(port, host);
  await once(server, 'listening');
  return {
    port: (server.address() as { port: number }).port,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
