// The console plugin's options (validated by the host with line and column).
export const optionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    path: { type: 'string', pattern: '^/[A-Za-z0-9_\\-/]*$', default: '/_console', description: 'Where the http role serves the console (its JSON API under <path>/api).' },
    viewer: { type: 'string', pattern: '^[^:]+:.+$', description: 'HTTP Basic credentials of the read-only role, user:password (write ${CONSOLE_VIEWER:-}).' },
    operator: { type: 'string', pattern: '^[^:]+:.+$', description: 'HTTP Basic credentials of the operator role, user:password (write ${CONSOLE_OPERATOR:-}).' },
    viewerToken: { type: 'string', minLength: 16, description: 'A bearer token (Authorization: Bearer ...) for the viewer role.' },
    operatorToken: { type: 'string', minLength: 16, description: 'A bearer token for the operator role.' },
    heartbeatMs: { type: 'integer', minimum: 500, default: 5000, description: "How often each process writes its heartbeat (processes not seen for 3 beats drop out of the overview)." },
    authenticate: {
      type: 'string',
      description: "Your own authentication: './auth.ts#authenticate', a function (request) => { name, role } | undefined. Tried before the credentials above.",
    },
  },
} as const;
