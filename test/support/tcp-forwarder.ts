// A TCP forwarder in front of a shared server, on a port of its own: cut() drops every
// connection through it and refuses new ones (the server looks down to whoever uses the
// forwarder), restore() accepts again. The shared server itself is never touched.
import { once } from 'node:events';
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export class TcpForwarder {
  readonly port: number;
  readonly #target: { host: string; port: number };
  readonly #sockets = new Set<Socket>();
  #server: Server | undefined;

  private constructor(port: number, target: { host: string; port: number }) {
    this.port = port;
    this.#target = target;
  }

  /** Listens on a free port (or `port`) and forwards to `target`. */
  static async start(target: { host: string; port: number }, port = 0): Promise<TcpForwarder> {
    const server = TcpForwarder.#listen(target, new Set());
    server.listen(port, '127.0.0.1');
    await once(server, 'listening');
    const forwarder = new TcpForwarder((server.address() as { port: number }).port, target);
    server.close();
    await once(server, 'close');
    await forwarder.restore();
    return forwarder;
  }

  /** `url` (amqp://user:pass@host:port/vhost...) pointing at this forwarder instead. */
  rewrite(url: string): string {
    const u = new URL(url);
    u.hostname = '127.0.0.1';
    u.port = String(this.port);
    return u.toString().replace(/\/$/, '');
  }

  get up(): boolean {
    return this.#server !== undefined;
  }

  /** Drops every forwarded connection and stops accepting: connections are refused until restore(). */
  async cut(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const s of this.#sockets) s.destroy();
    this.#sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async restore(): Promise<void> {
    if (this.#server) return;
    const server = TcpForwarder.#listen(this.#target, this.#sockets);
    server.listen(this.port, '127.0.0.1');
    await once(server, 'listening');
    this.#server = server;
  }

  close(): Promise<void> {
    return this.cut();
  }

  static #listen(target: { host: string; port: number }, sockets: Set<Socket>): Server {
    return createServer((client) => {
      const upstream = createConnection(target);
      sockets.add(client);
      sockets.add(upstream);
      const drop = () => {
        client.destroy();
        upstream.destroy();
        sockets.delete(client);
        sockets.delete(upstream);
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
      client.pipe(upstream);
      upstream.pipe(client);
    });
  }
}
