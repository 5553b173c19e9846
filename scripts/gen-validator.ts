// Generates three validators compiled by ajv ahead of time (ajv's standalone code, as Fastify does
// for its own options), so a start does not pay ajv's compile of their schemas:
// - host/core/service-validator.generated.ts: the declaration's, from schemas/service.schema.json
//   (~50–120 ms);
// - host/core/meta-schema-validator.generated.ts: JSON Schema 2020-12's meta-schema, which every
//   ajv instance otherwise compiles at its first schema to check it (~50–120 ms per instance; the
//   host's, the config plugin's and the websocket plugin's);
// - host/core/meta-schema-draft7-validator.generated.ts: draft-07's, for the HTTP role's two route
//   validators (Fastify's draft).
// `npm run gen` rewrites them; test/core/schema-types.test.ts fails when a committed file is stale.
import { readFile, writeFile } from 'node:fs/promises';
import type { AnyValidateFunction } from 'ajv/dist/core.js';
import standaloneCode from 'ajv/dist/standalone/index.js';
import { createAjv, createDraft7Ajv, META_SCHEMA_2020, META_SCHEMA_DRAFT7 } from '../host/core/schema.ts';

/** The standalone code of `validate` as a module of ours: ajv's runtime helpers imported, not required. */
function standaloneModule(ajv: ReturnType<typeof createAjv> | ReturnType<typeof createDraft7Ajv>, validate: AnyValidateFunction, source: string): string {
  let code = standaloneCode.default(ajv, validate);
  // ajv's ESM output still require()s its runtime helpers: import them instead.
  const helpers = new Map<string, string>();
  code = code.replace(/require\("ajv\/dist\/runtime\/([a-z0-9]+)"\)\.default/gi, (_m, name: string) => {
    helpers.set(name, `ajvRuntime_${name}`);
    return `ajvRuntime_${name}.default`;
  });
  if (/\brequire\(/.test(code)) throw new Error('the standalone validator requires a module the generator does not import yet (a format?): add it to scripts/gen-validator.ts');
  const imports = [...helpers].map(([name, local]) => `import ${local} from 'ajv/dist/runtime/${name}.js';`).join('\n');
  return `// Generated from ${source} by \`npm run gen\` (scripts/gen-validator.ts). Do not edit.\n// @ts-nocheck\n/* eslint-disable */\n${imports}\n${code.replace(/^"use strict";/, '')}\n`;
}

export async function generateServiceValidator(): Promise<string> {
  const schema = JSON.parse(await readFile(new URL('../schemas/service.schema.json', import.meta.url), 'utf8'));
  // The same options as the host's shared ajv (host/core/schema.ts), so errors and defaults match.
  const ajv = createAjv({ useDefaults: true, code: { source: true, esm: true } });
  return standaloneModule(ajv, ajv.compile(schema), 'schemas/service.schema.json');
}

/** The module of ajv's own validator for its bundled copy of a meta-schema. */
function metaSchemaModule(ajv: ReturnType<typeof createAjv> | ReturnType<typeof createDraft7Ajv>, metaSchema: string): string {
  const validate = ajv.getSchema(metaSchema);
  if (!validate) throw new Error(`ajv has no ${metaSchema}`);
  return standaloneModule(ajv, validate, `ajv's copy of ${metaSchema}`);
}

export function generateMetaSchemaValidator(): string {
  // createAjv's options, with ajv's own meta-schema validation.
  return metaSchemaModule(createAjv({ code: { source: true, esm: true }, precompiledMetaSchema: false }), META_SCHEMA_2020);
}

export function generateDraft7MetaSchemaValidator(): string {
  // The HTTP role's route validators' options that matter to the meta-schema check (server.ts).
  return metaSchemaModule(createDraft7Ajv({ allErrors: true, strict: false, code: { source: true, esm: true }, precompiledMetaSchema: false }), META_SCHEMA_DRAFT7);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await writeFile(new URL('../host/core/service-validator.generated.ts', import.meta.url), await generateServiceValidator());
  await writeFile(new URL('../host/core/meta-schema-validator.generated.ts', import.meta.url), generateMetaSchemaValidator());
  await writeFile(new URL('../host/core/meta-schema-draft7-validator.generated.ts', import.meta.url), generateDraft7MetaSchemaValidator());
}
