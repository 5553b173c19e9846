// Declares the API key that ApiKeyGuard checks as an OpenAPI security scheme, so the document,
// the reference page and the generated client say which routes need it (the routes name it in
// `schema.security`). The check itself stays the guard on the routes.
import { definePlugin } from 'jararaca';

export default definePlugin({
  name: 'api-key',
  setup: () => ({
    openapi: { securitySchemes: { apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key', description: "The service's API key (config.apiKey, TASKS_API_KEY)." } } },
  }),
});
