// JSON Schema → TypeScript declarations, with json-schema-to-typescript, for the generated
// clients: one named type per schema, no banner, nothing fetched.
import { compile, type JSONSchema } from 'json-schema-to-typescript';

/** `task.watch` → `TaskWatch`, `TaskCreated` → `TaskCreated`. */
export function typeName(name: string): string {
  const words = name.split(/[^A-Za-z0-9]+/).filter(Boolean);
  const joined = words.map((w) => w[0].toUpperCase() + w.slice(1)).join('') || 'Message';
  return /^[0-9]/.test(joined) ? `T${joined}` : joined;
}

/** `export type Name = ...` / `export interface Name {...}` for a schema. */
export async function schemaType(schema: unknown, name: string): Promise<string> {
  const input = (typeof schema === 'object' && schema !== null ? structuredClone(schema) : {}) as JSONSchema;
  // The schema's own title would rename the type: the name is the message's.
  delete (input as { title?: unknown }).title;
  const out = await compile(input, name, { bannerComment: '', additionalProperties: false, strictIndexSignatures: true, format: false, declareExternallyReferenced: true, $refOptions: { resolve: { external: false } } as never });
  return out.trim();
}
