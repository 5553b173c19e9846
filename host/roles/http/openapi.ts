// The OpenAPI 3.1 document of the routes. @fastify/swagger collects the routes as Fastify adds
// them; this file says what each operation is (its id, tags, success and error responses,
// security), adds the plugins' security schemes, and serves the document and the reference page
// (docs-page.ts: @fastify/swagger-ui, built at its first request, its assets from the service
// itself). Routes that are not controller handlers (health, the document itself, WebSocket
// upgrades) are left out, except a plugin's routes that give schema.operationId (the console's
// JSON API).
import { STATUS_CODES } from './status-codes.ts';
import swagger from '@fastify/swagger';
import type { FastifyInstance, RouteOptions as FastifyRouteOptions } from 'fastify';
import type { RouteSpec } from '../../core/decorators.ts';
import type { ServiceDeclaration } from '../../core/declaration.types.ts';
import { HandlerDeclarationError } from '../../core/errors.ts';
import type { HandlerInfo } from '../../core/execution.ts';
import type { OpenApiContribution, OpenApiSecurityScheme } from '../../core/plugin.ts';
import { registerDocsPage } from './docs-page.ts';

/** Route config key marking a controller handler's route (server.ts sets it). */
export const HANDLER_ROUTE = 'jararacaHandler';

export const ERROR_SCHEMA = 'ErrorResponse';

/** The body of every error answer (server.ts's error and not-found handlers). */
export const errorResponseSchema = {
  $id: ERROR_SCHEMA,
  type: 'object',
  description: "The framework's error body, for every error status.",
  required: ['statusCode', 'error', 'message'],
  properties: {
    statusCode: { type: 'integer' },
    code: { type: 'string', description: 'JRR_VALIDATION, JRR_ROUTE_NOT_FOUND, or the code of a domain error (@DomainError).' },
    error: { type: 'string', description: 'The status text: Bad Request, Not Found...' },
    message: { type: 'string', description: 'What went wrong, for a person.' },
    details: { description: 'JRR_VALIDATION: one { in, path, message, params } per failed check; a domain error: what it declares.' },
    requestId: { type: 'string', description: 'On a 500: the request id to quote (also in the x-request-id header).' },
  },
} as const;

// The errors every route can answer; 413 and 415 only where there is a body, 401 and 403 only
// where the route names a security scheme.
const ERRORS: Record<number, string> = {
  400: 'The request failed its schema (JRR_VALIDATION, with details) or is not valid JSON.',
  404: 'No such route, or a resource the handler did not find (a domain error mapped to 404).',
  409: 'Conflict with the current state (a unique constraint, a domain error mapped to 409).',
  500: 'An unexpected error; the body carries the request id.',
  503: 'A dependency is unavailable or the service is stopping; Retry-After when known.',
};
const BODY_ERRORS: Record<number, string> = { 413: 'The body exceeds the body limit.', 415: 'Not JSON, or a charset other than UTF-8.' };
const SECURITY_ERRORS: Record<number, string> = { 401: 'Credentials missing.', 403: 'Credentials refused.' };

export interface OpenApiSettings {
  path: string;
  title?: string;
  version: string;
  description?: string;
  docs: { path: string } | false;
}

/** http.openapi with its defaults; undefined when switched off. */
export function openApiSettings(service: ServiceDeclaration): OpenApiSettings | undefined {
  const given = service.http?.openapi ?? {};
  if (given === false) return undefined;
  const docs = given.docs ?? {};
  return { path: given.path ?? '/openapi.json', title: given.title, version: given.version ?? '1.0.0', description: given.description, docs: docs === false ? false : { path: docs.path ?? '/docs' } };
}

/** `TasksController.create` → `tasksCreate`. */
export function defaultOperationId(handler: HandlerInfo): string {
  const base = handler.controller.name.replace(/Controller$/, '') || handler.controller.name;
  const method = String(handler.method);
  return base.charAt(0).toLowerCase() + base.slice(1) + method.charAt(0).toUpperCase() + method.slice(1);
}

function operationIdOf(handler: HandlerInfo<'http'>): string {
  return handler.spec.schema?.operationId ?? defaultOperationId(handler);
}

/** Duplicate operation ids and security schemes that no plugin declares are declaration mistakes. */
function checkOperations(handlers: readonly HandlerInfo<'http'>[], schemes: Record<string, OpenApiSecurityScheme>): void {
  const seen = new Map<string, string>();
  for (const handler of handlers) {
    const id = operationIdOf(handler);
    const other = seen.get(id);
    if (other) throw new HandlerDeclarationError('JRR_ROUTE_INVALID', `${handler.name} and ${other} have the same OpenAPI operationId '${id}': give one of them schema.operationId`);
    seen.set(id, handler.name);
    for (const requirement of handler.spec.schema?.security ?? []) {
      for (const name of Object.keys(requirement)) {
        if (!(name in schemes)) {
          const known = Object.keys(schemes);
          throw new HandlerDeclarationError('JRR_ROUTE_INVALID', `${handler.name}: schema.security names '${name}', which no declared plugin's openapi.securitySchemes has (${known.length ? `declared: ${known.join(', ')}` : 'none declared'})`);
        }
      }
    }
  }
}

function mergeContributions(contributions: readonly OpenApiContribution[]): Required<OpenApiContribution> {
  const securitySchemes: Record<string, OpenApiSecurityScheme> = {};
  const security: Array<Record<string, string[]>> = [];
  for (const c of contributions) {
    Object.assign(securitySchemes, c.securitySchemes);
    security.push(...(c.security ?? []));
  }
  return { securitySchemes, security };
}

type Schema = Record<string, unknown>;

/** The route's schema as the document shows it: ids, tags, and every response it can give. */
function operationSchema(handler: HandlerInfo<'http'>, schema: Schema, inheritsSecurity: boolean): Schema {
  const spec: RouteSpec = handler.spec;
  const controller = handler.controller.name.replace(/Controller$/, '') || handler.controller.name;
  const security = spec.schema?.security;
  const secured = (security?.length ?? 0) > 0 || (inheritsSecurity && security === undefined);
  return { ...schema, operationId: operationIdOf(handler), tags: spec.schema?.tags ?? [controller], response: responsesOf(schema, String(spec.status ?? 200), spec.method, secured) };
}

/**
 * A plugin's own route that gives `schema.operationId` (the console's API) is an operation too,
 * shown as declared, with the same error responses; other plugin routes stay out.
 */
function pluginOperationSchema(schema: Schema, method: string, inheritsSecurity: boolean): Schema {
  const security = schema.security as unknown[] | undefined;
  const secured = (security?.length ?? 0) > 0 || (inheritsSecurity && security === undefined);
  return { ...schema, response: responsesOf(schema, '200', method, secured) };
}

function responsesOf(schema: Schema, success: string, method: string, secured: boolean): Record<string, unknown> {
  // A response schema without a description is shown with its status text (not 'Default Response').
  const responses: Record<string, unknown> = {};
  for (const [code, response] of Object.entries((schema.response as Record<string, Schema> | undefined) ?? {})) {
    responses[code] = typeof response === 'object' && response !== null && response.description === undefined && STATUS_CODES[code] ? { ...response, description: STATUS_CODES[code] } : response;
  }
  if (!Object.keys(responses).some((code) => code.startsWith('2'))) {
    // Undeclared: a 204 has no body; any other success returns what the handler returns.
    responses[success] = success === '204' ? { description: 'No Content', type: 'null' } : { description: STATUS_CODES[success] ?? 'Success' };
  }
  const hasBody = ['POST', 'PUT', 'PATCH'].includes(method) || schema.body !== undefined;
  const errors = { ...ERRORS, ...(hasBody ? BODY_ERRORS : {}), ...(secured ? SECURITY_ERRORS : {}) };
  for (const [code, description] of Object.entries(errors)) responses[code] ??= { $ref: `${ERROR_SCHEMA}#`, description };
  return responses;
}

/**
 * Registers @fastify/swagger (before any route, so it sees them all) and, when `serve`, the
 * document's route and the reference page. Call before the routes are added.
 */
export async function registerOpenApi(app: FastifyInstance, options: { service: ServiceDeclaration; handlers: readonly HandlerInfo<'http'>[]; contributions: readonly OpenApiContribution[]; serve: boolean }): Promise<void> {
  const settings = openApiSettings(options.service) ?? { ...openApiSettings({ name: options.service.name })!, docs: false as const };
  const plugins = mergeContributions(options.contributions);
  checkOperations(options.handlers, plugins.securitySchemes);
  app.addSchema(errorResponseSchema);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: settings.title ?? options.service.name, version: settings.version, ...(settings.description ? { description: settings.description } : {}) },
      components: { securitySchemes: plugins.securitySchemes },
      ...(plugins.security.length ? { security: plugins.security } : {}),
    },
    // Shared schemas appear under their own $id (ErrorResponse), not def-0.
    refResolver: { buildLocalReference: (json: Schema, _baseUri: unknown, _fragment: unknown, i: number) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
    transform: ({ schema, url, route }: { schema: unknown; url: string; route: FastifyRouteOptions }) => {
      const handler = (route.config as Record<string, unknown> | undefined)?.[HANDLER_ROUTE] as HandlerInfo<'http'> | undefined;
      const given = (schema ?? {}) as Schema;
      if (!handler) {
        const method = Array.isArray(route.method) ? String(route.method[0]) : String(route.method);
        return typeof given.operationId === 'string' && given.hide !== true ? { schema: pluginOperationSchema(given, method, plugins.security.length > 0), url } : { schema: { ...given, hide: true }, url };
      }
      return { schema: operationSchema(handler, given, plugins.security.length > 0), url };
    },
  } as unknown as Parameters<typeof swagger>[1]);
  if (!options.serve || !openApiSettings(options.service)) return;
  app.get(settings.path, { schema: { hide: true } }, () => app.swagger());
  if (settings.docs) {
    // No third party: the assets come from the service, and the validator badge (which would
    // send the document to validator.swagger.io) is off. Not @fastify/swagger-ui's own CSP: its
    // upgrade-insecure-requests breaks the page served over plain HTTP on anything but localhost.
    registerDocsPage(app, settings.docs.path, "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; object-src 'none'; frame-ancestors 'self'");
  }
}
