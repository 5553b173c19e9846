// docs/api.md lists the public API: every name host/index.ts exports appears on it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../support/imports.ts';

test('docs/api.md names every export of host/index.ts', () => {
  const index = readFileSync(path.join(repoRoot, 'host/index.ts'), 'utf8');
  const names = [...index.matchAll(/export (?:type )?\{([^}]*)\}/g)].flatMap((m) => m[1].split(',').map((n) => n.trim().split(/\s+as\s+/).pop()!).filter(Boolean));
  assert.ok(names.length > 50, `read ${names.length} exports`);
  const page = readFileSync(path.join(repoRoot, 'docs/api.md'), 'utf8');
  const missing = names.filter((n) => !page.includes(`\`${n}\``));
  assert.deepEqual(missing, [], 'exports missing from docs/api.md');
});
