// Generates docs/errors.md from the table of error codes in host/core/error-codes.ts.
// `npm run gen` rewrites it; test/core/error-table.test.ts fails when the committed page is stale.
import { writeFile } from 'node:fs/promises';
import { builtinErrorCodes, type ErrorCodeRow } from '../host/core/error-codes.ts';

/** Parts in the order the page lists them. */
const PARTS: Record<string, string> = {
  host: 'Host (declaration, modules, container, executions, hooks, plugin API, CLI)',
  http: 'HTTP role',
  worker: 'Worker role and messages',
  scheduler: 'Scheduler role',
  'knex-session': 'knex-session plugin',
  'message-bus': 'message-bus plugin',
  websocket: 'websocket plugin',
};

const INTRO = `<!-- Generated from host/core/error-codes.ts by \`npm run gen\`. Do not edit. -->
# Error codes

Every error jararaca raises on purpose is a \`JararacaError\` (or a subclass) with a stable
\`code\`: match on \`err.code\`, not on the message. The message says what to change. This page is
generated from the one table of codes, \`host/core/error-codes.ts\`; a test fails when a \`JRR_*\`
code in the source is missing from it.

Columns: **Class** is what is thrown (\`instanceof\` works on it), or where the code appears when
nothing is thrown: *(reply body)* is the \`code\` of an HTTP error response, *(error frame)* the
\`code\` of a WebSocket error frame, *(warning)* a process warning's code, *(log)* a log line's
\`code\` field. **HTTP** is the status a client receives. **Exit** is the exit code of
\`jararaca-host\` when the error ends it: **2** for a declaration or usage mistake the user must
fix (the message is printed without a stack), **1** for a run-time failure (printed with its
stack), **0** for a code that is not an error. An error with a code no row lists exits with 1;
a port already in use (\`EADDRINUSE\`) exits with 1.

\`HttpError(status, message)\` carries the code \`JRR_HTTP_<status>\` (\`JRR_HTTP_404\`...): the
type \`ErrorCode\` includes every \`JRR_HTTP_\${number}\`.

Mistakes in a module's code (a legacy decorator, \`defineMessage()\` misuse...) usually surface
while the host loads the module: they are then reported as problems of the declaration
(\`JRR_DECLARATION_INVALID\`, exit 2) whose text is the error's message.

## Codes of your own (plugins and applications)

\`JararacaError.code\` is typed \`ErrorCode\`, the keys of the interface \`ErrorCodes\` (plus
\`JRR_HTTP_\${number}\`), so a typo in a code is a type error. A plugin or an application adds
its codes in two steps, once, next to the errors that use them: a type augmentation, and a
run-time registration of their rows (so the CLI picks their exit codes and tools can list them):

\`\`\`ts
import { JararacaError, registerErrorCodes } from 'jararaca';

declare module 'jararaca' {
  interface ErrorCodes {
    ACME_QUOTA_EXCEEDED: true;
  }
}

registerErrorCodes({
  ACME_QUOTA_EXCEEDED: { part: 'acme-quota', class: 'JararacaError', exit: 1, meaning: 'A tenant used up its quota.' },
});

throw new JararacaError('ACME_QUOTA_EXCEEDED', 'tenant t1 used its 1000 calls of today: raise its quota or wait until midnight UTC');
\`\`\`

Use a prefix of your own (\`JRR_\` is the framework's). Registering a code the table already has
with another row throws \`JRR_ERROR_CODE_TAKEN\`; registering the same row again does nothing.
\`WsError(code, ...)\` of the websocket plugin takes such a code too. \`errorCodeRow(code)\` and
\`errorCodeTable()\` read the table at run time.
`;

function cell(value: number | string | undefined): string {
  return value === undefined ? '' : String(value);
}

export function generateErrorsPage(table: Readonly<Record<string, ErrorCodeRow>> = builtinErrorCodes): string {
  const byPart = new Map<string, Array<[string, ErrorCodeRow]>>();
  for (const [code, row] of Object.entries(table)) {
    if (!byPart.has(row.part)) byPart.set(row.part, []);
    byPart.get(row.part)!.push([code, row]);
  }
  const parts = [...Object.keys(PARTS).filter((p) => byPart.has(p)), ...[...byPart.keys()].filter((p) => !(p in PARTS))];
  const sections = parts.map((part) => {
    const rows = byPart.get(part)!.map(([code, r]) => `| \`${code}\` | ${r.class.startsWith('(') ? `*${r.class}*` : `\`${r.class}\``} | ${cell(r.status)} | ${r.exit} | ${r.meaning} |`);
    return `## ${PARTS[part] ?? part}\n\n| Code | Class | HTTP | Exit | Meaning |\n| --- | --- | --- | --- | --- |\n${rows.join('\n')}\n`;
  });
  return [INTRO, ...sections].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await writeFile(new URL('../docs/errors.md', import.meta.url), generateErrorsPage());
}
