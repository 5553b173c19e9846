// schemas/service.schema.json is the single source of truth for service.yaml; the TypeScript
// type of a declaration (host/core/declaration.types.ts) is generated from it and must not drift.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { it } from 'node:test';
import { generateDeclarationTypes } from '../../scripts/gen-types.ts';
import { JararacaError } from '../../host/core/errors.ts';
import { compileSchema, createAjv, createDraft7Ajv } from '../../host/core/schema.ts';
import { generateDraft7MetaSchemaValidator, generateMetaSchemaValidator, generateServiceValidator } from '../../scripts/gen-validator.ts';

it('host/core/declaration.types.ts is what `npm run gen` produces from the schema', async () => {
  const committed = await readFile(new URL('../../host/core/declaration.types.ts', import.meta.url), 'utf8');
  const generated = await generateDeclarationTypes();
  assert.ok(committed === generated, 'host/core/declaration.types.ts is stale: run `npm run gen` (npx tsx scripts/gen-types.ts) after editing schemas/service.schema.json');
});

it('host/core/service-validator.generated.ts is what `npm run gen` compiles from the schema', async () => {
  const committed = await readFile(new URL('../../host/core/service-validator.generated.ts', import.meta.url), 'utf8');
  assert.ok(committed === (await generateServiceValidator()), 'host/core/service-validator.generated.ts is stale: run `npm run gen` after editing schemas/service.schema.json');
});

it('host/core/meta-schema-validator.generated.ts is what `npm run gen` compiles from ajv\'s 2020-12 meta-schema', async () => {
  const committed = await readFile(new URL('../../host/core/meta-schema-validator.generated.ts', import.meta.url), 'utf8');
  assert.ok(committed === generateMetaSchemaValidator(), 'host/core/meta-schema-validator.generated.ts is stale: run `npm run gen` after upgrading ajv');
});

it('host/core/meta-schema-draft7-validator.generated.ts is what `npm run gen` compiles from ajv\'s draft-07 meta-schema', async () => {
  const committed = await readFile(new URL('../../host/core/meta-schema-draft7-validator.generated.ts', import.meta.url), 'utf8');
  assert.ok(committed === generateDraft7MetaSchemaValidator(), 'host/core/meta-schema-draft7-validator.generated.ts is stale: run `npm run gen` after upgrading ajv');
});

/** What `fn` throws, or undefined. */
function thrown(fn: () => unknown): Error | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    return err as Error;
  }
}

it('a draft-07 route schema that is not valid is refused as ajv refuses it', () => {
  for (const schema of [{ type: 'strin' }, { properties: { a: { maxLength: 'x' } } }]) {
    const ours = thrown(() => createDraft7Ajv({ allErrors: true, strict: false }).compile(schema))?.message;
    assert.ok(ours, JSON.stringify(schema));
    assert.equal(ours, thrown(() => createDraft7Ajv({ allErrors: true, strict: false, precompiledMetaSchema: false }).compile(schema))?.message);
  }
});

it('a schema that is not JSON Schema 2020-12 is refused with what is wrong, as ajv\'s own check refuses it', () => {
  const wrong = [{ type: 'strin' }, { type: 'object', properties: { a: { minLength: -1 } } }, { required: 'a' }, { type: 'object', $defs: { x: { enum: 'no' } } }];
  for (const schema of wrong) {
    const ours = thrown(() => compileSchema(schema));
    assert.ok(ours instanceof JararacaError && ours.code === 'JRR_SCHEMA_INVALID', `${JSON.stringify(schema)}: ${String(ours)}`);
    assert.equal(ours.message, thrown(() => createAjv({ precompiledMetaSchema: false }).compile(schema))?.message, JSON.stringify(schema));
  }
  // Valid ones compile, with or without $schema.
  compileSchema({ type: 'object', properties: { a: { type: 'string', format: 'uuid' } }, required: ['a'] });
  compileSchema({ $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'array', items: { type: 'integer' } });
});
