// HTTP responses on the HTTP role's port, from Fastify's onResponse hook: every response, the
// 404s and the schema 400s included, labelled by the route template (never the raw URL).
import type { FastifyInstance } from 'jararaca';
import type { Instruments } from './instruments.ts';

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** The label for a request no route matched: one series, whatever the URL was. */
export const UNMATCHED = 'unmatched';

export function countHttpRequests(app: FastifyInstance, instruments: Instruments): void {
  // Callback style, not async: no promise per response.
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? UNMATCHED;
    const method = METHODS.has(request.method) ? request.method : 'OTHER';
    instruments.httpRequests.add(1, { route, method, status: String(reply.statusCode) });
    instruments.httpDuration.record(reply.elapsedTime / 1000, { route, method });
    done();
  });
}
