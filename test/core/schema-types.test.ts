// schemas/service.schema.json is the single source of truth for service.yaml; the TypeScript
// type of a declaration (host/core/declaration.types.ts) is generated from it and must not drift.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { it } from 'node:test';
import { generateDeclarationTypes } from '../../scripts/gen-types.ts';
import { generateServiceValidator } from '../../scripts/gen-validator.ts';

it('host/core/declaration.types.ts is what `npm run gen` produces from the schema', async () => {
  const committed = await readFile(new URL('../../host/core/declaration.types.ts', import.meta.url), 'utf8');
  const generated = await generateDeclarationTypes();
  assert.ok(committed === generated, 'host/core/declaration.types.ts is stale: run `npm run gen` (npx tsx scripts/gen-types.ts) after editing schemas/service.schema.json');
});

it('host/core/service-validator.generated.ts is what `npm run gen` compiles from the schema', async () => {
  const committed = await readFile(new URL('../../host/core/service-validator.generated.ts', import.meta.url), 'utf8');
  assert.ok(committed === (await generateServiceValidator()), 'host/core/service-validator.generated.ts is stale: run `npm run gen` after editing schemas/service.schema.json');
});
