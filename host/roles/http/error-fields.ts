// Fields plugins add to the body of a 5xx the HTTP role answers for a failed request (the
// telemetry plugin: the trace id, so a user's report leads to the trace). A plugin provides a
// function under this capability; every declared one is asked, in declared order.
import type { FastifyRequest } from 'fastify';

export const HTTP_ERROR_FIELDS_CAPABILITY = 'jararaca.http.error-fields';

/** Returns fields for the error body of this request (undefined: none). Must not throw. */
export type HttpErrorFields = (request: FastifyRequest) => Record<string, unknown> | undefined;

/** One function for the app: nothing per request when no plugin provides fields. */
export function errorFieldsOf(providers: readonly HttpErrorFields[]): (request: FastifyRequest) => Record<string, unknown> | undefined {
  if (!providers.length) return () => undefined;
  return (request) => {
    const fields: Record<string, unknown> = {};
    for (const provide of providers) {
      try {
        Object.assign(fields, provide(request));
      } catch {
        // A plugin's extra fields are never worth losing the error response for.
      }
    }
    return fields;
  };
}
