// The files `jararaca-host init NAME` writes: a small service with a route, a message handler,
// a scheduled action, a WebSocket endpoint, a migration and a test on jararaca/testing.
export interface TemplateVersions {
  /** What the project depends on for the framework: a range, or file:…tgz. */
  jararaca: string;
  tsx: string;
  typescript: string;
  typesNode: string;
  fastify: string;
  knex: string;
}

export function projectFiles(name: string, v: TemplateVersions): Record<string, string> {
  const packageJson = {
    name,
    version: '0.1.0',
    private: true,
    type: 'module',
    scripts: {
      start: 'jararaca-host --config service.yaml --role all',
      test: 'node --import tsx --test test/*.test.ts',
      typecheck: 'tsc --noEmit',
      validate: 'jararaca-host validate --config service.yaml',
    },
    dependencies: { jararaca: v.jararaca },
    devDependencies: { '@types/node': v.typesNode, fastify: v.fastify, knex: v.knex, tsx: v.tsx, typescript: v.typescript },
  };
  return {
    'package.json': JSON.stringify(packageJson, null, 2) + '\n',
    '.gitignore': 'node_modules/\ndist/\n',
    'tsconfig.json':
      JSON.stringify(
        {
          compilerOptions: {
            target: 'ES2022',
            module: 'NodeNext',
            moduleResolution: 'NodeNext',
            strict: true,
            skipLibCheck: true,
            allowImportingTsExtensions: true,
            rewriteRelativeImportExtensions: true,
            outDir: 'dist',
            types: ['node'],
          },
          include: ['src/**/*.ts', 'migrations/**/*.ts', 'test/**/*.ts'],
        },
        null,
        2,
      ) + '\n',
    'service.yaml': `# yaml-language-server: $schema=./node_modules/jararaca/schemas/service.schema.json
# Runs with nothing installed on the embedded engines; in production only the environment changes
# (DATABASE_URL=postgres://… AMQP_URL=amqp://… REDIS_URL=redis://…), one role per process.
name: ${name}

interceptors:
  # Before knex-session: messages and WebSocket sends leave only after the transaction committed.
  - use: message-bus
    with:
      url: \${AMQP_URL:-memory://}
  - use: websocket
    with:
      url: \${REDIS_URL:-memory://}
  - use: knex-session
    with:
      url: \${DATABASE_URL:-pglite://memory}
      migrations:
        directory: ./migrations
        auto: true

controllers:
  - ./src/notes.controller.ts
  - ./src/messages.ts
  - ./src/live.ts

http:
  port: \${PORT:-3000}
`,
    'src/notes.controller.ts': `import { randomUUID } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { Get, HttpError, Post, RestController, ScheduledAction, useExecution } from 'jararaca';
import { useSession } from 'jararaca/knex-session';
import { usePublisher } from 'jararaca/message-bus';
import { useWsManager } from 'jararaca/websocket';
import { NoteCreated } from './messages.ts';

export interface Note {
  id: string;
  text: string;
  status: 'new' | 'seen';
}

@RestController('/notes')
export class NotesController {
  @Post('/', {
    status: 201,
    schema: { body: { type: 'object', additionalProperties: false, required: ['text'], properties: { text: { type: 'string', minLength: 1, maxLength: 500 } } } },
  })
  async create(request: FastifyRequest<{ Body: { text: string } }>): Promise<Note> {
    const note: Note = { id: randomUUID(), text: request.body.text, status: 'new' };
    await useSession()('notes').insert(note);
    // Both leave after the insert committed, and not at all if anything fails.
    usePublisher().publish(NoteCreated, { id: note.id });
    useWsManager().send(['notes'], { type: 'note.created', data: note });
    return note;
  }

  @Get('/:id', { schema: { params: { type: 'object', properties: { id: { type: 'string', format: 'uuid' } } } } })
  async get(request: FastifyRequest<{ Params: { id: string } }>): Promise<Note> {
    const note = (await useSession()('notes').where({ id: request.params.id }).first()) as Note | undefined;
    if (!note) throw HttpError.notFound(\`note \${request.params.id} not found\`);
    return note;
  }

  /** Every minute (one replica fires each slot when several schedulers run). */
  @ScheduledAction('0 * * * * *', { name: 'countNotes' })
  async countNotes(): Promise<void> {
    const [row] = await useSession()('notes').count({ count: '*' });
    useExecution().logger.info({ count: Number(row?.count ?? 0) }, 'notes so far');
  }
}
`,
    'src/messages.ts': `import { defineMessage, MessageBusController, MessageHandler, type PayloadOf } from 'jararaca';
import { useSession } from 'jararaca/knex-session';
import { useWsManager } from 'jararaca/websocket';

export const NoteCreated = defineMessage({
  name: 'NoteCreated',
  topic: 'notes.created',
  kind: 'event',
  schema: { type: 'object', additionalProperties: false, required: ['id'], properties: { id: { type: 'string', format: 'uuid' } } } as const,
});

@MessageBusController()
export class NoteWorker {
  /** In its own transaction; the message is acknowledged after it committed. */
  @MessageHandler(NoteCreated, { name: 'markSeen' })
  async markSeen(message: PayloadOf<typeof NoteCreated>): Promise<void> {
    const [note] = await useSession()('notes').where({ id: message.id }).update({ status: 'seen' }, ['id', 'text', 'status']);
    if (!note) throw new Error(\`note \${message.id} not found\`); // retried, then dead-lettered
    useWsManager().send(['notes'], { type: 'note.seen', data: note });
  }
}
`,
    'src/live.ts': `import { OnConnect, useWsManager, WebSocketEndpoint, type WsConnection } from 'jararaca/websocket';

/** Clients on /ws hear note.created and note.seen. */
@WebSocketEndpoint('/ws')
export class LiveNotes {
  @OnConnect()
  connect(connection: WsConnection) {
    useWsManager().join(connection.id, 'notes');
    return { type: 'hello', data: { connectionId: connection.id } };
  }
}
`,
    'migrations/20240101000000_create_notes.ts': `import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('notes', (t) => {
    t.uuid('id').primary();
    t.string('text', 500).notNullable();
    t.string('status', 16).notNullable().defaultTo('new');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('notes');
}
`,
    'test/notes.test.ts': `// The service in this process on the embedded engines (see jararaca's docs/testing.md).
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createTestHost } from 'jararaca/testing';

const host = await createTestHost(fileURLToPath(new URL('../service.yaml', import.meta.url)));
after(() => host.close());

test('a note posted is seen by the worker, and WebSocket clients hear of both', async () => {
  const client = await host.ws('/ws');
  const res = await host.inject({ method: 'POST', url: '/notes', payload: { text: 'hello' } });
  assert.equal(res.statusCode, 201);
  const { id } = res.json<{ id: string }>();

  await host.settle();

  assert.equal((await host.inject(\`/notes/\${id}\`)).json<{ status: string }>().status, 'seen');
  assert.deepEqual(host.published().map((m) => m.name), ['NoteCreated']);
  assert.deepEqual(client.frames.map((f) => f.type), ['hello', 'note.created', 'note.seen']);
});

test('an invalid note is a 400', async () => {
  assert.equal((await host.inject({ method: 'POST', url: '/notes', payload: { text: '' } })).statusCode, 400);
});

test('the scheduled action runs', async () => {
  await host.fire('countNotes');
});
`,
    'README.md': `# ${name}

A jararaca service: a REST route, a message handler, a scheduled action and a WebSocket endpoint
(\`service.yaml\` declares them).

\`\`\`sh
npm install
npm test      # in process, on the embedded engines: nothing else to install
\`\`\`

\`npm start\` runs every role in one process on port 3000:
\`curl -XPOST localhost:3000/notes -H 'content-type: application/json' -d '{"text":"hi"}'\`.
`,
  };
}
