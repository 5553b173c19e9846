// Generates schemas/service.editor.schema.json, the schema editors read through the `$schema`
// line (yaml-language-server, VS Code's YAML extension), from schemas/service.schema.json. The
// host substitutes a scalar that is exactly one `${VAR}` / `${VAR:-default}` before it checks the
// declaration, so an editor sees `port: ${PORT:-3000}` as text where a number is expected: here
// every value that a reference can stand for (a number, an integer, a boolean, a string with an
// enum, pattern or format) also accepts a reference. The host still checks the substituted value
// against the strict schema. A reference never becomes a mapping or a list, so those stay strict.
// `npm run gen` rewrites it; test/core/editor-schema.test.ts fails when it is stale.
import { readFile, writeFile } from 'node:fs/promises';

type Node = Record<string, unknown>;

const PLACEHOLDER = '#/$defs/placeholder';
const placeholder = {
  type: 'string',
  pattern: '^\\$\\{[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?\\}$',
  description: 'An environment reference, ${VAR} or ${VAR:-default}: the host checks the value it stands for.',
};

function standsForAScalar(node: Node): boolean {
  const types = Array.isArray(node.type) ? node.type : node.type === undefined ? [] : [node.type];
  if (types.some((t) => t === 'number' || t === 'integer' || t === 'boolean')) return true;
  if ('enum' in node || 'const' in node) return true;
  return types.includes('string') && ('pattern' in node || 'format' in node);
}

function withPlaceholders(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withPlaceholders);
  if (node === null || typeof node !== 'object') return node;
  const out: Node = {};
  for (const [key, value] of Object.entries(node as Node)) {
    // Keywords whose values are schemas (or maps / lists of them); the rest are kept as written.
    if (['properties', 'patternProperties', '$defs'].includes(key)) out[key] = Object.fromEntries(Object.entries(value as Node).map(([k, v]) => [k, withPlaceholders(v)]));
    else if (['items', 'additionalProperties', 'anyOf', 'oneOf', 'allOf', 'prefixItems', 'propertyNames', 'not', 'if', 'then', 'else', 'contains'].includes(key)) out[key] = withPlaceholders(value);
    else out[key] = value;
  }
  if (!standsForAScalar(out)) return out;
  // The description and default stay outside, so hovers and completions show them as before.
  const { description, default: fallback, ...strict } = out;
  return { ...(description === undefined ? {} : { description }), ...(fallback === undefined ? {} : { default: fallback }), anyOf: [strict, { $ref: PLACEHOLDER }] };
}

export async function generateEditorSchema(): Promise<string> {
  const schema = JSON.parse(await readFile(new URL('../schemas/service.schema.json', import.meta.url), 'utf8')) as Node;
  const editor = withPlaceholders(schema) as Node;
  editor.$id = String(schema.$id).replace('service.schema.json', 'service.editor.schema.json');
  editor.$comment = 'Generated from service.schema.json by `npm run gen` (scripts/gen-editor-schema.ts): the same, but a ${VAR} reference is accepted where it may stand for the value. Do not edit.';
  (editor.$defs as Node).placeholder = placeholder;
  return JSON.stringify(editor, null, 2) + '\n';
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await writeFile(new URL('../schemas/service.editor.schema.json', import.meta.url), await generateEditorSchema());
}
