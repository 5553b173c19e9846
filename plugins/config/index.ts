// Built-in `config` plugin: validates the declaration's `config` section against a JSON Schema
// (inline, or a file next to service.yaml) and offers it as useConfig() and the `config` token.
import { readFileSync } from 'node:fs';
import { asValue } from 'awilix/browser';
import { createAjv, definePlugin, schemaIssues } from 'jararaca';

const optionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    schema: {
      description: 'JSON Schema of the config section: a mapping, or the path of a .json file relative to service.yaml.',
      anyOf: [{ type: 'object' }, { type: 'string' }],
    },
  },
} as const;

// Environment values arrive as text: coerce them to the schema's types ("8080" → 8080).
const ajv = createAjv({ useDefaults: true, coerceTypes: true });

function loadSchema(schema: unknown, resolvePath: (p: string) => string): Record<string, unknown> {
  if (typeof schema === 'string') return JSON.parse(readFileSync(resolvePath(schema), 'utf8')) as Record<string, unknown>;
  return (schema as Record<string, unknown> | undefined) ?? { type: 'object' };
}

export default definePlugin({
  name: 'config',
  options: optionsSchema,
  check(ctx) {
    let schema: Record<string, unknown>;
    try {
      schema = loadSchema(ctx.options.schema, ctx.resolvePath);
    } catch (err) {
      ctx.report([...ctx.at, 'with', 'schema'], `cannot read the config schema: ${(err as Error).message}`);
      return;
    }
    const config = ctx.service.config ?? {};
    const validate = ajv.compile(schema);
    if (validate(config)) return;
    for (const issue of schemaIssues(validate.errors, config, ['config'])) ctx.report(issue.path, issue.message, issue.atKey);
  },
  setup(ctx) {
    // check() already validated and coerced service.config in place.
    const config = Object.freeze({ ...(ctx.service.config ?? {}) });
    return { register: { config: asValue(config) } };
  },
});
