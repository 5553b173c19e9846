// The recipes of docs/using-jararaca.md, run: a global route prefix through a plugin's http(app)
// hook, and authentication as an interceptor plugin.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, test } from 'node:test';
import { createTestHost } from 'jararaca/testing';
import { writeService } from '../support/host.ts';

const dir = writeService({
  'service.yaml': 'name: recipes\ninterceptors:\n  - use: ./route-prefix.ts\n    with: { prefix: /api }\n  - use: ./auth.ts\n    with: { token: "${API_TOKEN:-dev-token}" }\ncontrollers:\n  - ./hello.controller.ts\n',
  'route-prefix.ts': `import { definePlugin } from 'jararaca';

export default definePlugin({
  name: 'route-prefix',
  options: { type: 'object', required: ['prefix'], properties: { prefix: { type: 'string', pattern: '^/' } } } as const,
  setup(ctx) {
    return {
      http(app) {
        // Every route the controllers add gets the prefix; /health/* (registered before) does not.
        app.addHook('onRoute', (route) => {
          route.url = ctx.options.prefix + (route.url === '/' ? '' : route.url);
        });
      },
    };
  },
});
`,
  'auth.ts': `import { definePlugin, HttpError, SetMetadata, type Execution, type Next } from 'jararaca';

export const PUBLIC = Symbol('public');
export const Public = () => SetMetadata(PUBLIC, true);

export default definePlugin({
  name: 'auth',
  options: { type: 'object', required: ['token'], properties: { token: { type: 'string', minLength: 1 } } } as const,
  setup(ctx) {
    return {
      async intercept(execution: Execution, next: Next) {
        if (execution.is('http') && !execution.getMetadata(PUBLIC)) {
          const header = execution.details.request.headers.authorization;
          if (header !== \`Bearer \${ctx.options.token}\`) throw new HttpError(401, 'a valid Authorization: Bearer token is required');
        }
        return next();
      },
    };
  },
});
`,
  'hello.controller.ts': `import { Get, RestController } from 'jararaca';
import { Public } from './auth.ts';

@RestController('/hello')
export class HelloController {
  @Get('/')
  hello() {
    return { hello: 'world' };
  }

  @Get('/open')
  @Public()
  open() {
    return { open: true };
  }
}
`,
});

const host = await createTestHost(path.join(dir, 'service.yaml'));
after(() => host.close());

test('a global route prefix from a plugin http(app) hook', async () => {
  assert.equal((await host.inject('/api/hello/open')).statusCode, 200);
  assert.equal((await host.inject('/hello/open')).statusCode, 404);
  assert.equal((await host.inject('/health/ready')).statusCode, 200);
});

test('authentication as an interceptor plugin: 401 without the token, the handler with it, @Public() routes open', async () => {
  const denied = await host.inject('/api/hello');
  assert.equal(denied.statusCode, 401);
  assert.match(denied.json<{ message: string }>().message, /Bearer token is required/);
  const allowed = await host.inject({ url: '/api/hello', headers: { authorization: 'Bearer dev-token' } });
  assert.deepEqual(allowed.json(), { hello: 'world' });
  assert.deepEqual((await host.inject('/api/hello/open')).json(), { open: true });
});
