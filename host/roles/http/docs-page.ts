// The reference page (@fastify/swagger-ui) built on its first request, not at every start:
// loading and registering it (@fastify/static and its glob matching) costs ~70–160 ms of a start
// that most processes never serve. Its routes live on a Fastify instance of their own, which the
// service's routes under the page's path hand each request to (inject); it reads the service's
// document, so what the page shows is what GET /openapi.json serves.
import { createRequire } from 'node:module';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

const require = createRequire(import.meta.url);

// Hop-by-hop and per-response headers the outer reply sets itself.
const OWN_HEADERS = new Set(['content-length', 'transfer-encoding', 'connection', 'date', 'keep-alive']);

async function buildPage(app: FastifyInstance, path: string, staticCSP: string): Promise<FastifyInstance> {
  const fastify = require('fastify') as typeof import('fastify').default;
  const fp = require('fastify-plugin') as typeof import('fastify-plugin').default;
  const swaggerUi = require('@fastify/swagger-ui') as typeof import('@fastify/swagger-ui').default;
  const page = fastify({ logger: false });
  // swagger-ui needs @fastify/swagger registered beside it: here, the service's document.
  await page.register(
    fp(
      (instance, _options, done) => {
        instance.decorate('swagger', ((options?: { yaml?: boolean }) => app.swagger(options as { yaml: true })) as FastifyInstance['swagger']);
        done();
      },
      { name: '@fastify/swagger' },
    ),
  );
  await page.register(swaggerUi, { routePrefix: path, uiConfig: { deepLinking: true, validatorUrl: null }, staticCSP });
  await page.ready();
  return page;
}

/** GET `path` and everything under it, answered by the page (built on the first request). */
export function registerDocsPage(app: FastifyInstance, path: string, staticCSP: string): void {
  let page: Promise<FastifyInstance> | undefined;
  const forward = async (request: FastifyRequest, reply: FastifyReply) => {
    page ??= buildPage(app, path, staticCSP).catch((err: unknown) => {
      page = undefined; // the next request tries again
      throw err;
    });
    // GET for HEAD too: Fastify's HEAD route of this GET one drops the body and keeps its length.
    const res = await (await page).inject({ method: 'GET', url: request.url, headers: request.headers });
    if (res.statusCode === 404) return reply.callNotFound(); // the service's own 404 body
    reply.code(res.statusCode);
    for (const [name, value] of Object.entries(res.headers)) if (value !== undefined && !OWN_HEADERS.has(name)) reply.header(name, value);
    return reply.send(res.rawPayload);
  };
  app.addHook('onClose', async () => {
    if (page) await (await page).close();
  });
  app.get(path, { schema: { hide: true } }, forward);
  app.get(`${path}/*`, { schema: { hide: true } }, forward);
}
