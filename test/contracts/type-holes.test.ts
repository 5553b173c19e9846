// The type holes of issue 12 are compile errors: test/contracts/fixtures/type-holes.ts marks each
// mistake with @ts-expect-error, so tsc fails ("Unused '@ts-expect-error' directive") as soon as
// one of them compiles again. A mutated copy proves the mechanism catches a reopened hole.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../support/imports.ts';

const fixtures = path.join(repoRoot, 'test/contracts/fixtures');
const tsc = path.join(repoRoot, 'node_modules/.bin/tsc');

function typeCheck(project: string): { code: number | null; output: string } {
  const r = spawnSync(tsc, ['--noEmit', '-p', project], { cwd: repoRoot, encoding: 'utf8' });
  return { code: r.status, output: `${r.stdout}${r.stderr}` };
}

test('every marked mistake in the fixture is a compile error, and the valid usages compile', () => {
  const source = readFileSync(path.join(fixtures, 'type-holes.ts'), 'utf8');
  assert.ok((source.match(/@ts-expect-error/g) ?? []).length >= 14, 'the fixture still marks every hole');
  const { code, output } = typeCheck(path.join(fixtures, 'tsconfig.json'));
  assert.equal(output.trim(), '');
  assert.equal(code, 0);
});

test('a hole that compiles again fails the check (Unused @ts-expect-error)', () => {
  const source = readFileSync(path.join(fixtures, 'type-holes.ts'), 'utf8');
  const mutated = source.replace('async wrong(payload: { nope: number })', 'async wrong(payload: { id: string })');
  assert.notEqual(mutated, source);
  const file = path.join(fixtures, 'type-holes.mutated.ts');
  const project = path.join(fixtures, 'tsconfig.mutated.json');
  writeFileSync(file, mutated);
  writeFileSync(project, JSON.stringify({ extends: '../../../tsconfig.check.json', include: ['type-holes.mutated.ts'] }));
  try {
    const { code, output } = typeCheck(project);
    assert.notEqual(code, 0);
    assert.match(output, /Unused '@ts-expect-error' directive/);
  } finally {
    rmSync(file, { force: true });
    rmSync(project, { force: true });
  }
});
