// The one table of error codes (host/core/error-codes.ts): every JRR_* code in the source has a
// row, docs/errors.md is what the table generates, and the CLI's exit codes come from it.
// In process, no servers.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import {
  ArgumentError, DeclarationError, definePlugin, defineMessage, errorCodeRow, HandlerDeclarationError, HttpError, JararacaError, ModuleLoadError, registerErrorCodes,
  ResolutionError, RoleUnavailableError,
} from '../../host/index.ts';
import { builtinErrorCodes } from '../../host/core/error-codes.ts';
import { report } from '../../host/cli/main.ts';
import { CronError, parseCron } from '../../host/roles/scheduler/cron.ts';
import { generateErrorsPage } from '../../scripts/gen-errors.ts';
import { repoRoot } from '../support/host.ts';

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(path.join(repoRoot, dir), { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith('.ts')).map((e) => path.join(e.parentPath, e.name));
}

async function sources(): Promise<Array<{ file: string; text: string }>> {
  const files = [...(await sourceFiles('host')), ...(await sourceFiles('plugins'))];
  return Promise.all(files.map(async (file) => ({ file: path.relative(repoRoot, file), text: await readFile(file, 'utf8') })));
}

/** A code as written in the source; `JRR_HTTP_` (from `JRR_HTTP_${status}`) is a template row's prefix. */
function inTable(code: string, keys: readonly string[]): boolean {
  return code.endsWith('_') ? keys.some((k) => k.startsWith(code) && k.includes('<')) : keys.includes(code);
}

function exitOf(err: unknown): { code: number; stderr: string } {
  let stderr = '';
  const code = report(err, { stderr: { write: (s: string) => ((stderr += s), true) } as unknown as NodeJS.WritableStream });
  return { code, stderr };
}

describe('the error table', () => {
  it('has a row, and a line in docs/errors.md, for every JRR_* code in host/ and plugins/', async () => {
    const keys = Object.keys(builtinErrorCodes);
    const docs = await readFile(path.join(repoRoot, 'docs/errors.md'), 'utf8');
    const missing = new Map<string, string[]>();
    for (const { file, text } of await sources()) {
      for (const [found] of text.matchAll(/\bJRR_[A-Z0-9_]+/g)) {
        const code = found.replace(/^JRR_HTTP_\d+$/, 'JRR_HTTP_'); // one of HttpError's codes
        const documented = code.endsWith('_') ? docs.includes('`' + code) : docs.includes('`' + code + '`');
        if (inTable(code, keys) && documented) continue;
        missing.set(code, [...(missing.get(code) ?? []), file]);
      }
    }
    assert.deepEqual(
      [...missing].map(([code, files]) => `${code} (${[...new Set(files)].join(', ')})`),
      [],
      'codes missing from the table in host/core/error-codes.ts (add a row, then `npm run gen`)',
    );
  });

  it('docs/errors.md is what `npm run gen` produces from the table', async () => {
    const committed = await readFile(path.join(repoRoot, 'docs/errors.md'), 'utf8');
    assert.ok(committed === generateErrorsPage(), 'docs/errors.md is stale: run `npm run gen` (npx tsx scripts/gen-errors.ts) after editing host/core/error-codes.ts');
  });

  it('has no plain Error or TypeError thrown at users in host/ or plugins/', async () => {
    // Internal invariants and causes that are always wrapped in a coded error.
    const allowed = ['the Redis scheduler lock is not open', 'the broker refused (nack) the message'];
    const plain: string[] = [];
    for (const { file, text } of await sources()) {
      for (const m of text.matchAll(/new (?:Type|Range)?Error\((.{0,60})/g)) {
        if (!allowed.some((a) => m[1].includes(a))) plain.push(`${file}: ${m[0]}`);
      }
    }
    assert.deepEqual(plain, [], 'throw a JararacaError (or a subclass) with a code from the table instead');
  });
});

describe('exit codes of jararaca-host come from the table', () => {
  it('2 for a declaration or usage mistake, without a stack', () => {
    const mistakes = [
      new DeclarationError([{ file: 'service.yaml', line: 1, column: 1, path: '', message: 'bad' }]),
      new ResolutionError('Ctl needs clock', ['Ctl', 'clock']),
      new RoleUnavailableError('JRR_NO_TRANSPORT', 'no transport'),
      new RoleUnavailableError('JRR_UNKNOWN_HANDLER', 'no such handler'),
      new HandlerDeclarationError('JRR_ROUTE_INVALID', 'route twice'),
      new HandlerDeclarationError('JRR_WS_NO_ENDPOINT', 'no endpoint'),
      new JararacaError('JRR_DECLARATION_NOT_FOUND', 'cannot read service.yaml'),
    ];
    for (const err of mistakes) {
      const { code, stderr } = exitOf(err);
      assert.equal(code, 2, err.code);
      assert.equal(stderr, `jararaca-host: ${err.message}\n`);
    }
  });

  it('1 for a run-time failure, with its stack; 1 for an error without a code', () => {
    for (const err of [new JararacaError('JRR_PROVIDER_FAILED', 'boom'), new ModuleLoadError('JRR_MODULE_LOAD', 'cannot find'), new HttpError(503, 'down'), new Error('plain')]) {
      const { code, stderr } = exitOf(err);
      assert.equal(code, 1, err.message);
      assert.match(stderr, /^jararaca-host: failed: .*\n {4}at /s);
    }
  });

  it('a port already in use exits with 1 and says what to do', () => {
    const { code, stderr } = exitOf(Object.assign(new Error('listen EADDRINUSE'), { code: 'EADDRINUSE', port: 3000 }));
    assert.equal(code, 1);
    assert.match(stderr, /port 3000 is already in use/);
  });

  it("a plugin's registered code takes its exit code from its row", () => {
    registerErrorCodes({ ACME_TEST_BAD_OPTION: { part: 'acme', class: 'JararacaError', exit: 2, meaning: 'An acme option is wrong.' } });
    assert.equal(errorCodeRow('ACME_TEST_BAD_OPTION')?.part, 'acme');
    const err = new JararacaError('ACME_TEST_BAD_OPTION' as never, 'set acme.level to 1..3');
    assert.deepEqual(exitOf(err), { code: 2, stderr: 'jararaca-host: set acme.level to 1..3\n' });
    // the same row again is fine; another row for a taken code is refused
    registerErrorCodes({ ACME_TEST_BAD_OPTION: { part: 'acme', class: 'JararacaError', exit: 2, meaning: 'An acme option is wrong.' } });
    assert.throws(
      () => registerErrorCodes({ JRR_USAGE: { part: 'acme', class: 'JararacaError', exit: 1, meaning: 'mine' } }),
      (e: unknown) => e instanceof JararacaError && e.code === 'JRR_ERROR_CODE_TAKEN' && /JRR_USAGE is already in the table/.test(e.message),
    );
    assert.equal(errorCodeRow('JRR_USAGE')?.exit, 2);
  });

  it('HttpError codes JRR_HTTP_<status> share one row', () => {
    assert.equal(new HttpError(418, 'teapot').code, 'JRR_HTTP_418');
    assert.equal(errorCodeRow('JRR_HTTP_418')?.class, 'HttpError');
  });
});

describe('errors a user meets carry a code, with their messages unchanged', () => {
  it('a bad cron expression is a CronError JRR_CRON_INVALID', () => {
    assert.throws(() => parseCron('* * *'), (e: unknown) => e instanceof CronError && e instanceof JararacaError && e.code === 'JRR_CRON_INVALID' && /has 3 fields/.test(e.message));
  });

  it('definePlugin() and defineMessage() misuse are ArgumentErrors', () => {
    assert.throws(() => definePlugin({} as never), (e: unknown) => e instanceof ArgumentError && e.code === 'JRR_PLUGIN_DEFINITION' && e.message === 'definePlugin() needs { name: string, setup(ctx) { ... } }');
    assert.throws(() => defineMessage({} as never), (e: unknown) => e instanceof ArgumentError && e.code === 'JRR_MESSAGE_DEFINITION' && e.message === 'defineMessage() needs { name, topic, kind, schema }');
  });
});
