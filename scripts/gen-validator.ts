// Generates host/core/service-validator.generated.ts: the declaration's validator, compiled from
// schemas/service.schema.json by ajv ahead of time (ajv's standalone code, as Fastify does for its
// own options), so a start does not pay ajv's compile of the schema (~50–120 ms).
// `npm run gen` rewrites it; test/core/schema-types.test.ts fails when the committed file is stale.
import { readFile, writeFile } from 'node:fs/promises';
import standaloneCode from 'ajv/dist/standalone/index.js';
import { createAjv } from '../host/core/schema.ts';

export async function generateServiceValidator(): Promise<string> {
  const schema = JSON.parse(await readFile(new URL('../schemas/service.schema.json', import.meta.url), 'utf8'));
  // The same options as the host's shared ajv (host/core/schema.ts), so errors and defaults match.
  const ajv = createAjv({ useDefaults: true, code: { source: true, esm: true } });
  let code = standaloneCode.default(ajv, ajv.compile(schema));
  // ajv's ESM output still require()s its runtime helpers: import them instead.
  const helpers = new Map<string, string>();
  code = code.replace(/require\("ajv\/dist\/runtime\/([a-z0-9]+)"\)\.default/gi, (_m, name: string) => {
    helpers.set(name, `ajvRuntime_${name}`);
    return `ajvRuntime_${name}.default`;
  });
  if (/\brequire\(/.test(code)) throw new Error('the standalone validator requires a module the generator does not import yet (a format?): add it to scripts/gen-validator.ts');
  const imports = [...helpers].map(([name, local]) => `import ${local} from 'ajv/dist/runtime/${name}.js';`).join('\n');
  return `// Generated from schemas/service.schema.json by \`npm run gen\` (scripts/gen-validator.ts). Do not edit.\n// @ts-nocheck\n/* eslint-disable */\n${imports}\n${code.replace(/^"use strict";/, '')}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await writeFile(new URL('../host/core/service-validator.generated.ts', import.meta.url), await generateServiceValidator());
}
