// The console's routes view: the service's routes with their request and response schemas, from
// the OpenAPI document when the http role serves one (@fastify/swagger's `swagger()` on the app:
// what GET /openapi.json answers), else from the handler registry (http.openapi: false). The
// console's own API is in the document too; it is left out here, as are other plugins' routes
// the registry does not know.
import type { FastifyInstance, HandlerRegistry } from 'jararaca';

interface OpenApiOperation {
  operationId?: string;
  summary?: string;
  tags?: string[];
  parameters?: unknown[];
  requestBody?: unknown;
  responses?: Record<string, unknown>;
}

interface OpenApiDocument {
  paths?: Record<string, Record<string, OpenApiOperation | unknown>>;
}

export interface ServiceRoute {
  method: string;
  /** As the service declares it: `/tasks/:id`. */
  url: string;
  handler: string | null;
  operationId: string | null;
  summary: string | null;
  /** From the document: `{ parameters, requestBody }`; from the registry: the schema's params, querystring, headers and body. */
  request: Record<string, unknown> | null;
  /** By status. */
  responses: Record<string, unknown> | null;
  source: 'openapi' | 'handlers';
}

const METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

export function serviceRoutes(app: FastifyInstance, handlers: HandlerRegistry, consolePath: string): ServiceRoute[] {
  const registry = handlers.ofKind('http').map((h) => ({ method: h.spec.method, url: joinPath(h.spec.prefix ?? '', h.spec.path ?? ''), handler: h.name, schema: h.spec.schema }));
  const swagger = (app as unknown as { swagger?: () => OpenApiDocument }).swagger;
  if (typeof swagger !== 'function') {
    return registry.map((r) => {
      const { response, params, querystring, headers, body } = (r.schema ?? {}) as Record<string, unknown>;
      const request = Object.fromEntries(Object.entries({ params, querystring, headers, body }).filter(([, v]) => v !== undefined));
      return {
        method: r.method,
        url: r.url,
        handler: r.handler,
        operationId: (r.schema?.operationId as string | undefined) ?? null,
        summary: (r.schema?.summary as string | undefined) ?? null,
        request: Object.keys(request).length ? request : null,
        responses: (response as Record<string, unknown> | undefined) ?? null,
        source: 'handlers',
      };
    });
  }
  const routes: ServiceRoute[] = [];
  for (const [path, item] of Object.entries(swagger.call(app).paths ?? {})) {
    const url = path.replace(/\{([^}]+)\}/g, ':$1');
    if (url === consolePath || url.startsWith(`${consolePath}/`)) continue;
    for (const [method, value] of Object.entries(item)) {
      if (!METHODS.has(method)) continue;
      const op = value as OpenApiOperation;
      const upper = method.toUpperCase();
      const request = { ...(op.parameters?.length ? { parameters: op.parameters } : {}), ...(op.requestBody ? { requestBody: op.requestBody } : {}) };
      routes.push({
        method: upper,
        url,
        handler: registry.find((r) => r.method === upper && r.url === url)?.handler ?? null,
        operationId: op.operationId ?? null,
        summary: op.summary ?? null,
        request: Object.keys(request).length ? request : null,
        responses: op.responses ?? null,
        source: 'openapi',
      });
    }
  }
  return routes;
}

function joinPath(prefix: string, path: string): string {
  const joined = `/${prefix}/${path}`.replace(/\/+/g, '/');
  return joined.length > 1 ? joined.replace(/\/$/, '') : joined;
}
