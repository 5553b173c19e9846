// The REST part of the generated client: TypeScript types from the OpenAPI document's schemas
// (json-schema-to-typescript, one compile per schema), a `paths` interface in the shape
// openapi-fetch expects (the shape openapi-typescript writes), and a small client with one typed
// call per operation on top of openapi-fetch. The output imports only 'openapi-fetch'.
import { compile } from 'json-schema-to-typescript';
import type { ClientGenerator, GeneratedFile } from './generator.ts';
import type { JsonObject, OpenApiDocument, OpenApiOperation, OpenApiParameter } from './openapi-document.ts';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
const COMPONENT_REF = /^#\/components\/schemas\/(.+)$/;
// Keywords that constrain a value; a schema with none of them is `unknown`.
const TYPED = new Set(['type', '$ref', 'enum', 'const', 'anyOf', 'oneOf', 'allOf', 'not', 'properties', 'items', 'additionalProperties', 'prefixItems', 'tsType']);

/** `tasks-api` → `TasksApi`; `tasksCreate` → `TasksCreate`. */
export function pascalCase(text: string): string {
  const words = text.replace(/([a-z0-9])([A-Z])/g, '$1 $2').split(/[^A-Za-z0-9]+/).filter(Boolean);
  const joined = words.map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');
  return /^[0-9]/.test(joined) ? `_${joined}` : joined || 'Service';
}

function camelCase(text: string): string {
  const p = pascalCase(text);
  return p.charAt(0).toLowerCase() + p.slice(1);
}

// References to components become their type names; titles and ids would make
// json-schema-to-typescript declare more types under names we do not control.
function prepare(node: unknown, top = true): unknown {
  if (Array.isArray(node)) return node.map((n) => prepare(n, false));
  if (node === null || typeof node !== 'object') return node;
  const obj = node as JsonObject;
  const ref = typeof obj.$ref === 'string' ? COMPONENT_REF.exec(obj.$ref) : null;
  if (ref) return { tsType: pascalCase(decodeURIComponent(ref[1]!)) };
  // A schema that says nothing about the value ({ description } alone) accepts anything.
  if (!top && !Object.keys(obj).some((k) => TYPED.has(k))) return { ...(obj.description ? { description: obj.description } : {}), tsType: 'unknown' };
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(obj)) {
    if (key === '$id' || key === '$schema' || (key === 'title' && !top)) continue;
    // Property names and enum values are data, not schemas.
    out[key] = key === 'properties' || key === 'patternProperties' || key === '$defs' || key === 'definitions'
      ? Object.fromEntries(Object.entries(value as JsonObject).map(([k, v]) => [k, prepare(v, false)]))
      : key === 'enum' || key === 'const' || key === 'required' || key === 'examples' || key === 'default'
        ? value
        : prepare(value, false);
  }
  return out;
}

/** One named type from a JSON Schema: `export interface Name {...}` or `export type Name = ...`. */
async function typeOf(name: string, schema: JsonObject | undefined): Promise<string> {
  if (!schema || Object.keys(schema).filter((k) => k !== 'description').length === 0) return `export type ${name} = unknown;\n`;
  const prepared = { ...(prepare(schema) as JsonObject) };
  delete prepared.title;
  return compile(prepared as Parameters<typeof compile>[0], name, {
    bannerComment: '',
    additionalProperties: false,
    strictIndexSignatures: true,
    unknownAny: true,
    style: { singleQuote: true, printWidth: 120 },
    ignoreMinAndMaxItems: true,
    declareExternallyReferenced: true,
  });
}

function parametersSchema(parameters: OpenApiParameter[]): JsonObject {
  return {
    type: 'object',
    additionalProperties: false,
    properties: Object.fromEntries(parameters.map((p) => [p.name, { ...(p.schema ?? {}), ...(p.description ? { description: p.description } : {}) }])),
    required: parameters.filter((p) => p.required).map((p) => p.name),
  };
}

function jsonContent(content: Record<string, { schema?: JsonObject }> | undefined): { schema?: JsonObject } | undefined {
  if (!content) return undefined;
  return content['application/json'] ?? Object.entries(content).find(([type]) => type.endsWith('+json'))?.[1];
}

function componentName(schema: JsonObject | undefined): string | undefined {
  const ref = typeof schema?.$ref === 'string' ? COMPONENT_REF.exec(schema.$ref) : null;
  return ref ? pascalCase(decodeURIComponent(ref[1]!)) : undefined;
}

function doc(lines: Array<string | undefined>, indent: string): string {
  const text = lines.filter((l): l is string => Boolean(l)).flatMap((l) => l.replaceAll('*/', '*\\/').split('\n'));
  return text.length ? `${indent}/**\n${text.map((l) => `${indent} * ${l}`.trimEnd()).join('\n')}\n${indent} */\n` : '';
}

interface Operation {
  id: string;
  path: string;
  method: (typeof METHODS)[number];
  op: OpenApiOperation;
}

function operationsOf(document: OpenApiDocument): Operation[] {
  const list: Operation[] = [];
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const method of METHODS) {
      const op = item[method];
      if (op) list.push({ id: camelCase(op.operationId ?? `${method} ${path}`), path, method, op });
    }
  }
  return list;
}

/** The text of `rest.ts` for a document. */
export async function restClientSource(document: OpenApiDocument): Promise<string> {
  const service = pascalCase(document.info.title);
  const parts: string[] = [
    `// Generated by \`jararaca-host gen-client\` from the OpenAPI document of '${document.info.title}' ${document.info.version}. Do not edit.`,
    `// Types of every operation, \`paths\` for openapi-fetch, and create${service}Client (docs/contracts.md).`,
    `import createClient, { type ClientOptions, type FetchOptions } from 'openapi-fetch';`,
    '',
  ];
  for (const [name, schema] of Object.entries(document.components?.schemas ?? {})) parts.push(await typeOf(pascalCase(name), schema));

  const operations = operationsOf(document);
  const opTypes: string[] = [];
  for (const { id, op } of operations) {
    const base = pascalCase(id);
    const params = (where: OpenApiParameter['in']) => (op.parameters ?? []).filter((p) => p.in === where);
    const parameterTypes: string[] = [];
    for (const [where, suffix] of [['query', 'Query'], ['header', 'Headers'], ['path', 'Path'], ['cookie', 'Cookies']] as const) {
      const list = params(where);
      if (!list.length) {
        parameterTypes.push(`${where}?: never`);
        continue;
      }
      parts.push(await typeOf(`${base}${suffix}`, parametersSchema(list)));
      parameterTypes.push(`${where}${where === 'path' || list.some((p) => p.required) ? '' : '?'}: ${base}${suffix}`);
    }
    let requestBody = 'requestBody?: never';
    const body = jsonContent(op.requestBody?.content);
    if (body) {
      parts.push(await typeOf(`${base}Body`, body.schema));
      requestBody = `requestBody${op.requestBody?.required ? '' : '?'}: { content: { 'application/json': ${base}Body } }`;
    }
    const responses: string[] = [];
    const successes = Object.keys(op.responses ?? {}).filter((s) => s.startsWith('2'));
    for (const [status, response] of Object.entries(op.responses ?? {})) {
      const content = jsonContent(response.content);
      const key = /^[0-9]+$/.test(status) ? status : `'${status}'`;
      let contentType = 'content?: never';
      if (content) {
        const named = componentName(content.schema);
        // The one success is `<Op>Response`; with several, or for another status, `<Op>Response<status>`.
        const typeName = named ?? (successes.length === 1 && successes[0] === status ? `${base}Response` : `${base}Response${status.replace(/[^A-Za-z0-9]/g, '')}`);
        // The status text @fastify/swagger copied into the schema would only repeat the status.
        const { description, ...schema } = content.schema ?? {};
        if (!named) parts.push(await typeOf(typeName, description === response.description ? schema : content.schema));
        contentType = `content: { 'application/json': ${typeName} }`;
      }
      responses.push(`${doc([response.description], '      ')}      ${key}: { headers: { [name: string]: unknown }; ${contentType} };`);
    }
    opTypes.push(
      `${doc([op.summary, op.description, op.deprecated ? '@deprecated' : undefined], '  ')}  ${id}: {\n` +
        `    parameters: { ${parameterTypes.join('; ')} };\n    ${requestBody};\n    responses: {\n${responses.join('\n')}\n    };\n  };`,
    );
  }

  // Every method key present, absent ones `?: never`: the shape openapi-typescript writes.
  const pathTypes = Object.entries(document.paths ?? {}).map(([path, item]) => {
    const methods = METHODS.map((m) => {
      const found = operations.find((o) => o.path === path && o.method === m && item[m]);
      return found ? `    ${m}: operations['${found.id}'];` : `    ${m}?: never;`;
    });
    return `  '${path}': {\n    parameters: { query?: never; header?: never; path?: never; cookie?: never };\n${methods.join('\n')}\n  };`;
  });
  parts.push(`export interface paths {\n${pathTypes.join('\n')}\n}\n`);
  parts.push(`export interface operations {\n${opTypes.join('\n')}\n}\n`);

  const calls = operations.map(({ id, path, method, op }) => {
    const required = (op.parameters ?? []).some((p) => p.required || p.in === 'path') || op.requestBody?.required === true;
    const secured = op.security ?? document.security;
    const notes = [op.summary, op.description, `${method.toUpperCase()} ${path}${secured?.length ? ` (security: ${secured.map((s) => Object.keys(s).join(' + ')).join(' or ')})` : ''}`, op.deprecated ? '@deprecated' : undefined];
    return `${doc(notes, '    ')}    ${id}: (init${required ? '' : '?'}: FetchOptions<operations['${id}']>) => client.${method.toUpperCase()}('${path}', init),`;
  });
  parts.push(
    `/** Options of create${service}Client: openapi-fetch's (baseUrl, fetch, headers...). */\n` +
      `export type ${service}ClientOptions = ClientOptions;\n\n` +
      `/**\n * A typed client of '${document.info.title}': one call per operation, each resolving to\n * openapi-fetch's \`{ data, error, response }\` (\`error\` is the ErrorResponse body).\n * Works with \`fetch\` in browsers and Node; pass \`fetch\` to use another (jararaca's serviceFetch, between services).\n */\n` +
      `export function create${service}Client(options: ${service}ClientOptions = {}) {\n  const client = createClient<paths>(options);\n  return {\n${calls.join('\n')}\n    /** The openapi-fetch client underneath (middleware: \`raw.use(...)\`). */\n    raw: client,\n  };\n}\n\n` +
      `export type ${service}Client = ReturnType<typeof create${service}Client>;\n`,
  );
  return parts.join('\n');
}

export const restClientGenerator: ClientGenerator = {
  name: 'rest',
  async generate({ openapi }): Promise<GeneratedFile[]> {
    return [{ path: 'rest.ts', text: await restClientSource(openapi), exported: true }];
  },
};
