// The health endpoints: on the HTTP role's server, or on a stand-alone server for the worker
// and scheduler roles when no HTTP role runs in the process.
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { redactUrl } from '../core/logger.ts';
import type { HealthReport } from '../core/plugin.ts';

/** What the endpoints read: the host's readiness, its logger, and plugins' extra routes. */
export interface HealthSource {
  health(): HealthReport & { checks: Record<string, HealthReport> };
  readonly logger: Logger;
  capabilities<T>(name: string): T[];
}

/**
 * A capability (`provides: { [HEALTH_ROUTES_CAPABILITY]: (app) => app.get(...) }`): routes a plugin
 * adds to the stand-alone health server of the worker and scheduler roles (the metrics plugin's
 * /metrics). On the HTTP role's server a plugin uses its `http(app)` member instead.
 */
export const HEALTH_ROUTES_CAPABILITY = 'jararaca.health-routes';
export type HealthRoutes = (app: FastifyInstance) => void | Promise<void>;

/** GET /health/live (the process answers) and /health/ready (started, and every plugin ready). */
export function registerHealthRoutes(app: FastifyInstance, host: HealthSource): void {
  app.get('/health/live', { logLevel: 'warn' }, async () => ({ status: 'ok' }));
  app.get('/health/ready', { logLevel: 'warn' }, async (_request, reply) => {
    const health = host.health();
    // Plugins' details may quote a driver's message with a URL in it: masked like a log line.
    const body = redactUrl(JSON.stringify({ status: health.ready ? 'ready' : 'not ready', ...health }));
    return reply.code(health.ready ? 200 : 503).type('application/json; charset=utf-8').send(body);
  });
}

export interface HealthServer {
  port: number;
  stop(): Promise<void>;
}

/** /health/* and plugins' health routes, on `port` (0 picks a free one). */
export async function startHealthServer(host: HealthSource, port: number, hostname = '0.0.0.0'): Promise<HealthServer> {
  // Imported here, not with this module: the public API re-exports HEALTH_ROUTES_CAPABILITY, and
  // every plugin imports that API before a role (and so Fastify) is needed.
  const { default: Fastify } = await import('fastify');
  const app = Fastify({ loggerInstance: host.logger.child({ role: 'health' }) as FastifyBaseLogger, forceCloseConnections: true });
  registerHealthRoutes(app as unknown as FastifyInstance, host);
  for (const add of host.capabilities<HealthRoutes>(HEALTH_ROUTES_CAPABILITY)) await add(app as unknown as FastifyInstance);
  await app.listen({ host: hostname, port });
  return { port: (app.server.address() as { port: number }).port, stop: () => app.close() };
}
