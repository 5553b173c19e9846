// The service's OpenAPI document without starting it: plugins set up as for `validate` (nothing
// connects), the Fastify app built with its routes and made ready, never listening.
import { createLogger } from '../core/logger.ts';
import { Host } from '../host.ts';
import { buildHttpServer } from '../roles/http/server.ts';

/** An OpenAPI 3.1 document, as @fastify/swagger builds it (plain JSON). */
export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string; description?: string };
  paths: Record<string, Record<string, OpenApiOperation>>;
  components?: { schemas?: Record<string, JsonObject>; securitySchemes?: Record<string, JsonObject> };
  security?: Array<Record<string, string[]>>;
}

export type JsonObject = Record<string, unknown>;

export interface OpenApiParameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  description?: string;
  schema?: JsonObject;
}

export interface OpenApiOperation {
  operationId?: string;
  summary?: string;
  description?: string;
  tags?: string[];
  deprecated?: boolean;
  parameters?: OpenApiParameter[];
  requestBody?: { required?: boolean; content?: Record<string, { schema?: JsonObject }> };
  responses?: Record<string, { description?: string; content?: Record<string, { schema?: JsonObject }> }>;
  security?: Array<Record<string, string[]>>;
}

/**
 * Runs `fn` with the service declared in `config` loaded and validated (plugins set up, nothing
 * connected or started), then stops it. What every contract generator starts from.
 */
export async function withValidatedHost<T>(config: string, fn: (host: Host) => Promise<T>): Promise<T> {
  const host = await Host.load({ config, roles: [], logger: createLogger({ level: 'warn' }, 2) });
  try {
    await host.validate();
    return await fn(host);
  } finally {
    await host.stop();
  }
}

/** The OpenAPI document of a validated host's routes (whether or not http.openapi serves it). */
export async function openApiDocumentOf(host: Host): Promise<OpenApiDocument> {
  const app = await buildHttpServer(host, { openapiDocument: true });
  try {
    // A copy: @fastify/swagger caches the object it returns.
    return structuredClone(app.swagger()) as unknown as OpenApiDocument;
  } finally {
    await app.close();
  }
}

/** The document of the service declared in `config`. */
export function loadOpenApiDocument(config: string): Promise<OpenApiDocument> {
  return withValidatedHost(config, openApiDocumentOf);
}
