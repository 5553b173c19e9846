// Generates host/core/declaration.types.ts from schemas/service.schema.json, the single source of
// truth for the shape of service.yaml. `npm run gen` rewrites it; test/core/schema-types.test.ts
// fails when the committed file is stale.
import { readFile, writeFile } from 'node:fs/promises';
import { compile } from 'json-schema-to-typescript';

export async function generateDeclarationTypes(): Promise<string> {
  const schema = JSON.parse(await readFile(new URL('../schemas/service.schema.json', import.meta.url), 'utf8'));
  stripExactlyOneOf(schema);
  return compile(schema, 'ServiceDeclaration', {
    bannerComment: '// Generated from schemas/service.schema.json by `npm run gen`. Do not edit.',
    additionalProperties: false,
    strictIndexSignatures: true,
    unknownAny: true,
    format: false,
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await writeFile(new URL('../host/core/declaration.types.ts', import.meta.url), await generateDeclarationTypes());
}

// `oneOf` of `required` branches (marked x-exactly-one-of) only says which keys exclude each
// other; TypeScript would render it as an intersection with an index signature, so it is
// dropped for type generation.
function stripExactlyOneOf(node: unknown): void {
  if (node === null || typeof node !== 'object') return;
  const obj = node as Record<string, unknown>;
  if (Array.isArray(obj['x-exactly-one-of'])) delete obj.oneOf;
  for (const v of Object.values(obj)) stripExactlyOneOf(v);
}
