// The OpenAPI document of the tasks example, as a user sees it: served by a running host at
// /openapi.json (valid OpenAPI 3.1 for swagger-parser), the reference page at /docs with its
// assets from the service itself, and `jararaca-host openapi --out` writing the same document.
import SwaggerParser from '@apidevtools/swagger-parser';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { http, repoRoot, runHost, spawnHost, tempDir, writeService, type SpawnedHost } from '../support/host.ts';

const example = path.join(repoRoot, 'examples/tasks/service.yaml');
const embedded = { DATABASE_URL: undefined, AMQP_URL: undefined, REDIS_URL: undefined };

describe('the tasks example documents its routes', () => {
  let host: SpawnedHost;
  before(async () => {
    host = await spawnHost(example, { args: ['--role', 'http'], env: embedded, timeoutMs: 120000 });
  });
  after(async () => {
    assert.equal(await host.stop(), 0);
  });

  test('GET /openapi.json is an OpenAPI 3.1 document that swagger-parser validates', async () => {
    const res = await http('GET', `${host.url}/openapi.json`);
    assert.equal(res.status, 200);
    assert.equal(res.body.openapi, '3.1.0');
    assert.equal(res.body.info.title, 'tasks');
    await SwaggerParser.validate(structuredClone(res.body));
  });

  test('every route is an operation with its id, parameters, body, responses and the shared error body', async () => {
    const doc = (await http('GET', `${host.url}/openapi.json`)).body;
    assert.deepEqual(Object.keys(doc.paths).sort(), ['/tasks', '/tasks/hello', '/tasks/{id}']);
    const create = doc.paths['/tasks'].post;
    assert.equal(create.operationId, 'tasksCreate');
    assert.deepEqual(create.tags, ['Tasks']);
    assert.equal(create.requestBody.content['application/json'].schema.properties.title.maxLength, 200);
    assert.equal(create.responses['201'].content['application/json'].schema.properties.id.format, 'uuid');
    for (const status of ['400', '404', '409', '413', '415', '500', '503']) {
      assert.deepEqual(create.responses[status].content['application/json'].schema, { $ref: '#/components/schemas/ErrorResponse' }, status);
    }
    assert.deepEqual(doc.components.schemas.ErrorResponse.required, ['statusCode', 'error', 'message']);
    const get = doc.paths['/tasks/{id}'].get;
    assert.deepEqual(get.parameters.map((p: { in: string; name: string; required: boolean }) => [p.in, p.name, p.required]), [['path', 'id', true]]);
    assert.equal(get.responses['413'], undefined, 'no body, no 413');
    // Health, the document and the WebSocket upgrade are not operations.
    assert.ok(!Object.keys(doc.paths).some((p) => p.startsWith('/health') || p === '/ws' || p.startsWith('/docs') || p === '/openapi.json'));
  });

  test('the API-key DELETE names the scheme the api-key plugin declares, and can answer 401 and 403', async () => {
    const doc = (await http('GET', `${host.url}/openapi.json`)).body;
    assert.deepEqual(doc.components.securitySchemes.apiKey, { type: 'apiKey', in: 'header', name: 'x-api-key', description: "The service's API key (config.apiKey, TASKS_API_KEY)." });
    const remove = doc.paths['/tasks/{id}'].delete;
    assert.deepEqual(remove.security, [{ apiKey: [] }]);
    assert.deepEqual(Object.keys(remove.responses).sort(), ['204', '400', '401', '403', '404', '409', '500', '503']);
    assert.equal(remove.responses['204'].content, undefined);
    assert.equal(doc.paths['/tasks'].post.security, undefined);
  });

  test('GET /docs is the reference page, with its scripts served by the service (no CDN)', async () => {
    const page = await fetch(`${host.url}/docs`);
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, /swagger-ui/i);
    assert.doesNotMatch(html, /(src|href)="https?:\/\//);
    const script = /src="([^"]*swagger-ui-bundle\.js)"/.exec(html)?.[1];
    assert.ok(script, html);
    const asset = await fetch(new URL(script, `${host.url}/docs/`));
    assert.equal(asset.status, 200);
    assert.match(asset.headers.get('content-type') ?? '', /javascript/);
  });

  test('jararaca-host openapi --out writes the document the host serves, without starting anything', async () => {
    const out = path.join(tempDir(), 'openapi.json');
    // A port in use and no database would fail a start: the command starts nothing.
    const result = await runHost(['openapi', '--config', example, '--out', out], { env: { ...embedded, PORT: String(host.port) } });
    assert.equal(result.code, 0, result.stderr);
    const served = (await http('GET', `${host.url}/openapi.json`)).body;
    assert.deepEqual(JSON.parse(readFileSync(out, 'utf8')), served);
    const stdout = await runHost(['openapi', '--config', example], { env: embedded });
    assert.deepEqual(JSON.parse(stdout.stdout), served);
  });
});

describe('http.openapi', () => {
  const controller = `
import { Get, RestController } from 'jararaca';
@RestController('/things')
export class ThingsController {
  @Get('/', { schema: { summary: 'All things', operationId: 'listThings', deprecated: true, querystring: { type: 'object', properties: { q: { type: 'string' } } } } })
  list() { return []; }
}
`;

  test('paths, title and version are configurable; the document shows summary, operationId, deprecated and query parameters', async () => {
    const dir = writeService({
      'things.ts': controller,
      'service.yaml': `name: things\ncontrollers: [./things.ts]\nhttp:\n  openapi: { path: /api/openapi.json, title: Things API, version: 2.1.0, docs: { path: /api/docs } }\n`,
    });
    const host = await spawnHost(path.join(dir, 'service.yaml'));
    try {
      assert.equal((await http('GET', `${host.url}/openapi.json`)).status, 404);
      const doc = (await http('GET', `${host.url}/api/openapi.json`)).body;
      assert.deepEqual(doc.info, { title: 'Things API', version: '2.1.0' });
      const op = doc.paths['/things'].get;
      assert.equal(op.operationId, 'listThings');
      assert.equal(op.summary, 'All things');
      assert.equal(op.deprecated, true);
      assert.deepEqual(op.parameters.map((p: { in: string; name: string }) => [p.in, p.name]), [['query', 'q']]);
      assert.equal((await fetch(`${host.url}/api/docs`)).status, 200);
      assert.equal((await fetch(`${host.url}/docs`)).status, 404);
    } finally {
      await host.stop();
    }
  });

  test('false serves neither the document nor the page; docs: false only drops the page', async () => {
    for (const [setting, documented] of [['false', false], ['{ docs: false }', true]] as const) {
      const dir = writeService({ 'things.ts': controller, 'service.yaml': `name: things\ncontrollers: [./things.ts]\nhttp:\n  openapi: ${setting}\n` });
      const host = await spawnHost(path.join(dir, 'service.yaml'));
      try {
        assert.equal((await fetch(`${host.url}/openapi.json`)).status, documented ? 200 : 404, setting);
        assert.equal((await fetch(`${host.url}/docs`)).status, 404, setting);
      } finally {
        await host.stop();
      }
      // The command writes the document either way.
      const result = await runHost(['openapi', '--config', path.join(dir, 'service.yaml')]);
      assert.equal(JSON.parse(result.stdout).paths['/things'].get.operationId, 'listThings');
    }
  });

  test('a route naming a security scheme no plugin declares, or two routes with one operationId, fail validate with the route named', async () => {
    const unknownScheme = writeService({
      'things.ts': `
import { Get, RestController } from 'jararaca';
@RestController('/things')
export class ThingsController {
  @Get('/', { schema: { security: [{ bearer: [] }] } })
  list() { return []; }
}
`,
      'service.yaml': 'name: things\ncontrollers: [./things.ts]\n',
    });
    let result = await runHost(['validate', '--config', path.join(unknownScheme, 'service.yaml')]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /ThingsController\.list: schema\.security names 'bearer', which no declared plugin's openapi\.securitySchemes has/);

    const duplicate = writeService({
      'things.ts': `
import { Get, RestController } from 'jararaca';
@RestController('/things')
export class ThingsController {
  @Get('/', { schema: { operationId: 'things' } }) list() { return []; }
  @Get('/:id', { schema: { operationId: 'things' } }) get() { return {}; }
}
`,
      'service.yaml': 'name: things\ncontrollers: [./things.ts]\n',
    });
    result = await runHost(['validate', '--config', path.join(duplicate, 'service.yaml')]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /ThingsController\.get and ThingsController\.list have the same OpenAPI operationId 'things'/);
  });
});
