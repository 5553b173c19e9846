// The schema editors read (schemas/service.editor.schema.json, named by the `$schema` lines) is
// generated and current, and yaml-language-server — the server behind VS Code's YAML extension —
// shows no problem in any example declaration (config/service.yaml too) or the init template, flags a real mistake, and
// completes keys.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { projectFiles } from '../../host/cli/init-template.ts';
import { generateEditorSchema } from '../../scripts/gen-editor-schema.ts';
import { repoRoot, writeService } from '../support/host.ts';
import { startYamlLanguageServer, type YamlLanguageServer } from '../support/yaml-language-server.ts';

let server: YamlLanguageServer;
before(async () => (server = await startYamlLanguageServer()));
after(() => server.close());

test('schemas/service.editor.schema.json is current', async () => {
  const committed = readFileSync(path.join(repoRoot, 'schemas/service.editor.schema.json'), 'utf8');
  assert.ok(committed === (await generateEditorSchema()), 'schemas/service.editor.schema.json is stale: run `npm run gen` after editing schemas/service.schema.json');
});

// The init template as `init demo` writes it, in a project whose node_modules/jararaca is this package.
function initProject(): string {
  const dir = writeService({});
  for (const [name, text] of Object.entries(projectFiles('demo', { jararaca: '*', tsx: '*', typescript: '*', typesNode: '*' }))) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  mkdirSync(path.join(dir, 'node_modules'));
  symlinkSync(repoRoot, path.join(dir, 'node_modules/jararaca'));
  return path.join(dir, 'service.yaml');
}

const declarations = () => [
  ...readdirSync(path.join(repoRoot, 'examples')).map((name) => path.join(repoRoot, 'examples', name, 'service.yaml')),
  path.join(repoRoot, 'config/service.yaml'),
  initProject(),
];

test('every example declaration and the init template: a $schema line to the editor schema, and no diagnostics', async () => {
  for (const file of declarations()) {
    assert.match(readFileSync(file, 'utf8').split('\n')[0], /^# yaml-language-server: \$schema=\S+\/schemas\/service\.editor\.schema\.json$/, file);
    assert.deepEqual((await server.diagnostics(file)).map((d) => `${d.range.start.line + 1}: ${d.message}`), [], path.relative(repoRoot, file));
  }
});

test('a ${...} reference passes where a number is expected; a value that is not one is still flagged', async () => {
  const dir = writeService({
    'placeholder.yaml': `# yaml-language-server: $schema=${repoRoot}schemas/service.editor.schema.json\nname: svc\nhttp:\n  port: \${PORT:-3000}\n  trustProxy: \${TRUST_PROXY:-false}\n`,
    'wrong.yaml': `# yaml-language-server: $schema=${repoRoot}schemas/service.editor.schema.json\nname: svc\nhttp:\n  port: lots\n`,
  });
  assert.deepEqual(await server.diagnostics(path.join(dir, 'placeholder.yaml')), []);
  const wrong = await server.diagnostics(path.join(dir, 'wrong.yaml'));
  assert.equal(wrong.length, 1, JSON.stringify(wrong));
  assert.equal(wrong[0].range.start.line, 3);
});

test('keys are completed from the editor schema', async () => {
  for (const file of declarations()) {
    const lines = readFileSync(file, 'utf8').split('\n');
    const at = lines.findIndex((l) => l.startsWith('  port:')); // the first key under http:
    assert.ok(at > 0, file);
    const labels = (await server.complete(file, at, 2)).map((i) => i.label);
    for (const key of ['host', 'bodyLimit', 'trustProxy']) assert.ok(labels.includes(key), `${key} not completed in ${file}: ${labels.join(', ')}`);
  }
});
