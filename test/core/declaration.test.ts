// Malformed service declarations: each mistake must come back as
// `file:line:col json.path: message`, with a message that says what to change, all mistakes
// of a file in one run. Pure-parse cases use parseDeclaration (fast); cases about the modules a
// declaration names (plugins, providers, controllers) go through Host.load with real files.
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { DeclarationError, formatProblem, Host, type DeclarationProblem } from 'jararaca';
import { parseDeclaration } from '../../host/core/declaration.ts';
import { createLogger } from '../../host/core/logger.ts';
import { repoRoot, writeService } from '../support/host.ts';

type Env = Record<string, string | undefined>;

/** Parses `text` as service.yaml and returns every problem as `file:line:col path: message`. */
function problems(text: string, env: Env = {}): string[] {
  try {
    parseDeclaration(text, 'service.yaml', env).throwIfProblems();
  } catch (err) {
    if (err instanceof DeclarationError) return err.problems.map(formatProblem);
    throw err;
  }
  return assert.fail('expected the declaration to be rejected');
}

/** The parsed service of a declaration that must be valid. */
function parsed(text: string, env: Env = {}) {
  const decl = parseDeclaration(text, 'service.yaml', env);
  decl.throwIfProblems();
  return decl.service;
}

const silent = createLogger({ level: 'silent' });
const modules = '../../test/fixtures/modules';

/** Writes service.yaml (plus files) under .tmp/ and loads it like the host does. */
async function hostProblems(yaml: string, env: Env = {}, logger: typeof silent | null = silent): Promise<string[]> {
  const dir = writeService({ 'service.yaml': yaml });
  try {
    await Host.load({ config: path.join(dir, 'service.yaml'), roles: [], env, logger: logger ?? undefined });
  } catch (err) {
    if (err instanceof DeclarationError) return err.problems.map((p: DeclarationProblem) => formatProblem({ ...p, file: path.basename(p.file) }));
    throw err;
  }
  return assert.fail('expected Host.load to reject the declaration');
}

const notAMapping = "the declaration must be a mapping of keys, starting with 'name: <service-name>', but";
const severalMistakes = [
  'name: Tasks', // 1
  'http:', // 2
  '  port: ${PORT}', // 3
  '  bodyLimit: 0', // 4
  'logging:', // 5
  '  level: loud', // 6
  'providers:', // 7
  '  clock: {}', // 8
  'controller:', // 9
  '  - ./a.ts', // 10
].join('\n');

// The malformed declarations, one row each: the YAML, and every problem reported for it
// (file:line:col path: message). Tests that need files, an environment or more than one call
// stay as tests of their own below.
const MALFORMED: Array<{ group: string; title: string; yaml: string; problems: string[] }> = [
  { group: 'YAML syntax errors stop before anything else, at the right line', title: 'a key indented less than its siblings', yaml: 'name: x\nhttp:\n  port: 1\n host: a\n', problems: [
      'service.yaml:4:1 YAML: All mapping items must start at the same column; check the indentation: the keys of one mapping must start in the same column',
    ] },
  { group: 'YAML syntax errors stop before anything else, at the right line', title: 'a key indented more than its siblings is one problem, not two', yaml: 'name: x\nhttp:\n  port: 1\n   host: a\n', problems: [
      'service.yaml:3:9 YAML: Nested mappings are not allowed in compact mappings; check the indentation: the keys of one mapping must start in the same column, and a nested mapping goes on the lines below its key',
    ] },
  { group: 'YAML syntax errors stop before anything else, at the right line', title: 'an unclosed double quote points at where the string opens, not at the end of the file', yaml: 'name: "x\nhttp:\n  port: 1\n', problems: ['service.yaml:1:7 YAML: this double-quoted string is never closed: add the closing "'] },
  { group: 'YAML syntax errors stop before anything else, at the right line', title: 'an unclosed single quote', yaml: "name: x\nhttp:\n  host: 'abc\n  port: 1\n", problems: ["service.yaml:3:9 YAML: this single-quoted string is never closed: add the closing '"] },
  { group: 'YAML syntax errors stop before anything else, at the right line', title: 'a duplicate key names the key and the line of its first occurrence', yaml: 'name: x\nhttp:\n  port: 1\n  port: 2\n', problems: ["service.yaml:4:3 YAML: key 'port' appears twice in the same mapping (first on line 3): keep one"] },
  { group: 'YAML syntax errors stop before anything else, at the right line', title: 'a tab used for indentation', yaml: 'name: x\nhttp:\n\tport: 1\n', problems: ['service.yaml:3:1 YAML: Tabs are not allowed as indentation; indent with spaces'] },
  { group: 'YAML syntax errors stop before anything else, at the right line', title: 'a key missing its colon', yaml: 'name: x\nhttp\n  port: 1\n', problems: [
      "service.yaml:2:1 YAML: Implicit keys need to be on a single line; a key must fit on one line and end with ':'; check for a missing ':' or wrong indentation",
    ] },
  { group: 'YAML syntax errors stop before anything else, at the right line', title: 'two YAML documents in one file', yaml: 'name: x\n---\nname: y\n', problems: [
      "service.yaml:2:1 YAML: the file holds more than one YAML document ('---'): a declaration is one document; remove the '---' line and what follows it",
    ] },
  { group: 'the shape of the declaration', title: 'an empty file', yaml: '', problems: [`service.yaml:1:1 ${notAMapping} the file is empty`] },
  { group: 'the shape of the declaration', title: 'a file of comments only is empty too', yaml: '# yaml-language-server: $schema=../schemas/service.schema.json\n# nothing yet\n', problems: [`service.yaml:1:1 ${notAMapping} the file is empty`] },
  { group: 'the shape of the declaration', title: 'a list at the top level', yaml: '- name: x\n- name: y\n', problems: [`service.yaml:1:1 ${notAMapping} it is a list`] },
  { group: 'the shape of the declaration', title: 'a bare scalar at the top level', yaml: 'tasks\n', problems: [`service.yaml:1:1 ${notAMapping} it is the string "tasks"`] },
  { group: 'the shape of the declaration', title: 'a missing name is reported at the first key of the root mapping (a root-level problem has no path)', yaml: '# my service\n\nhttp:\n  port: 1\n', problems: [
      "service.yaml:3:1 missing required key 'name' (Service name: lower case letters, digits, '.', '_', '-'. Prefixes queue names and log lines.)",
    ] },
  { group: 'the shape of the declaration', title: 'a name that breaks the pattern says which characters are allowed', yaml: 'name: My Service\n', problems: [
      `service.yaml:1:7 name: must start with a lower case letter and contain only lower case letters, digits, '.', '_' or '-' (got the string "My Service")`,
    ] },
  { group: 'the shape of the declaration', title: 'a name longer than 100 characters', yaml: `name: ${'a'.repeat(101)}\n`, problems: ['service.yaml:1:7 name: must be at most 100 characters long (got 101)'] },
  { group: 'the shape of the declaration', title: 'an unknown top-level key suggests the closest one and lists the allowed keys', yaml: 'name: x\ncontrolers:\n  - ./a.ts\n', problems: [
      "service.yaml:2:1 controlers: unknown key 'controlers' (did you mean 'controllers'?); allowed: $schema, name, config, providers, interceptors, controllers, http, worker, scheduler, logging",
    ] },
  { group: 'the shape of the declaration', title: 'an unknown top-level key with no close match only lists the allowed keys', yaml: 'name: x\ndatabase: postgres://db\n', problems: [
      "service.yaml:2:1 database: unknown key 'database'; allowed: $schema, name, config, providers, interceptors, controllers, http, worker, scheduler, logging",
    ] },
  { group: 'the shape of the declaration', title: 'an unknown key under http', yaml: 'name: x\nhttp:\n  prot: 3000\n', problems: [
      "service.yaml:3:3 http.prot: unknown key 'prot' (did you mean 'port'?); allowed: host, port, bodyLimit, shutdownTimeoutMs, requestTimeoutMs, headersTimeoutMs, keepAliveTimeoutMs, trustProxy, openapi",
    ] },
  { group: 'the shape of the declaration', title: 'an unknown key under worker', yaml: 'name: x\nworker:\n  prefech: 5\n', problems: [
      "service.yaml:3:3 worker.prefech: unknown key 'prefech' (did you mean 'prefetch'?); allowed: prefetch, healthPort, shutdownTimeoutMs",
    ] },
  { group: 'the shape of the declaration', title: 'an unknown key under scheduler', yaml: 'name: x\nscheduler:\n  timeZone: UTC\n', problems: [
      "service.yaml:3:3 scheduler.timeZone: unknown key 'timeZone' (did you mean 'timezone'?); allowed: timezone, healthPort, shutdownTimeoutMs, leaseTtlMs, history, lock",
    ] },
  { group: 'the shape of the declaration', title: 'an unknown key under logging', yaml: 'name: x\nlogging:\n  levl: debug\n', problems: ["service.yaml:3:3 logging.levl: unknown key 'levl' (did you mean 'level'?); allowed: level, redact, pretty"] },
  { group: 'types, ranges and enums', title: 'a port that is not a number', yaml: 'name: x\nhttp:\n  port: abc\n', problems: ['service.yaml:3:9 http.port: must be an integer (got the string "abc")'] },
  { group: 'types, ranges and enums', title: 'a quoted port is a string: the message says to remove the quotes', yaml: 'name: x\nhttp:\n  port: "3000"\n', problems: ['service.yaml:3:9 http.port: must be an integer (got the string "3000"); remove the quotes'] },
  { group: 'types, ranges and enums', title: 'a negative port', yaml: 'name: x\nhttp:\n  port: -1\n', problems: ['service.yaml:3:9 http.port: must be at least 0 (got -1)'] },
  { group: 'types, ranges and enums', title: 'a port above 65535', yaml: 'name: x\nhttp:\n  port: 70000\n', problems: ['service.yaml:3:9 http.port: must be at most 65535 (got 70000)'] },
  { group: 'types, ranges and enums', title: 'a bodyLimit of 0', yaml: 'name: x\nhttp:\n  bodyLimit: 0\n', problems: ['service.yaml:3:14 http.bodyLimit: must be at least 1 (got 0)'] },
  { group: 'types, ranges and enums', title: 'a boolean where a string is expected', yaml: 'name: x\nscheduler:\n  timezone: true\n', problems: ['service.yaml:3:13 scheduler.timezone: must be a string (got true)'] },
  { group: 'types, ranges and enums', title: 'a string where a boolean is expected (YAML 1.2: yes is text)', yaml: 'name: x\nhttp:\n  trustProxy: yes\n', problems: ['service.yaml:3:15 http.trustProxy: must be true or false (got the string "yes")'] },
  { group: 'types, ranges and enums', title: 'a provider lifetime outside the enum suggests the closest value', yaml: 'name: x\nproviders:\n  clock:\n    value: 1\n    lifetime: singelton\n', problems: [
      'service.yaml:5:15 providers.clock.lifetime: must be one of: "singleton", "scoped", "transient" (got the string "singelton") (did you mean "singleton"?)',
    ] },
  { group: 'types, ranges and enums', title: 'a logging level outside the enum', yaml: 'name: x\nlogging:\n  level: verbose\n', problems: [
      'service.yaml:3:10 logging.level: must be one of: "fatal", "error", "warn", "info", "debug", "trace", "silent" (got the string "verbose")',
    ] },
  { group: 'providers', title: 'a provider with none of value, class, factory', yaml: 'name: x\nproviders:\n  clock:\n    lifetime: scoped\n', problems: ['service.yaml:4:5 providers.clock: needs exactly one of: value, class, factory'] },
  { group: 'providers', title: 'a provider with two of value, class, factory names both', yaml: 'name: x\nproviders:\n  clock:\n    value: 1\n    class: ./clock.ts#Clock\n', problems: [
      "service.yaml:4:5 providers.clock: has 'value' and 'class': keep exactly one of value, class, factory",
    ] },
  { group: 'providers', title: 'a provider with no body at all is one problem', yaml: 'name: x\nproviders:\n  clock:\n', problems: ['service.yaml:3:3 providers.clock: must be a mapping (got an empty value)'] },
  { group: 'providers', title: 'a class reference without #Export', yaml: 'name: x\nproviders:\n  clock:\n    class: ./clock.ts\n', problems: [
      'service.yaml:4:12 providers.clock.class: must name a module and one of its exports, as in ./module.ts#ExportName (got the string "./clock.ts")',
    ] },
  { group: 'providers', title: 'a factory reference whose export is not an identifier', yaml: 'name: x\nproviders:\n  clock:\n    factory: ./clock.ts#make-clock\n', problems: [
      'service.yaml:4:14 providers.clock.factory: must name a module and one of its exports, as in ./module.ts#ExportName (got the string "./clock.ts#make-clock")',
    ] },
  { group: 'providers', title: 'a token with characters a constructor cannot destructure', yaml: 'name: x\nproviders:\n  task-store:\n    value: 1\n', problems: [
      `service.yaml:3:3 providers["task-store"]: key 'task-store' is not allowed here: a token is injected by name (constructor({ token })), so it must be a JavaScript identifier: letters, digits, '_' or '$', not starting with a digit`,
    ] },
  { group: 'providers', title: 'providers written as a list', yaml: 'name: x\nproviders:\n  - clock\n', problems: ['service.yaml:3:3 providers: must be a mapping (got a list)'] },
  { group: 'providers', title: 'an unknown key in a provider', yaml: 'name: x\nproviders:\n  clock:\n    value: 1\n    lifetim: scoped\n', problems: [
      "service.yaml:5:5 providers.clock.lifetim: unknown key 'lifetim' (did you mean 'lifetime'?); allowed: value, class, factory, lifetime, dispose",
    ] },
  { group: 'interceptors and controllers', title: 'interceptors written as a mapping', yaml: 'name: x\ninterceptors:\n  use: config\n', problems: ['service.yaml:3:3 interceptors: must be a list (got a mapping)'] },
  { group: 'interceptors and controllers', title: 'an interceptor without use', yaml: 'name: x\ninterceptors:\n  - with:\n      schema: {}\n', problems: [
      "service.yaml:3:5 interceptors[0]: missing required key 'use' (A built-in plugin name (config, ...), an installed package, or a path relative to this file.)",
    ] },
  { group: 'interceptors and controllers', title: 'an interceptor whose with is not a mapping', yaml: 'name: x\ninterceptors:\n  - use: config\n  - use: ./audit.ts\n    with: verbose\n', problems: [
      'service.yaml:5:11 interceptors[1].with: must be a mapping (got the string "verbose")',
    ] },
  { group: 'interceptors and controllers', title: 'an interceptor with an empty use', yaml: 'name: x\ninterceptors:\n  - use: ""\n', problems: ['service.yaml:3:10 interceptors[0].use: must not be empty'] },
  { group: 'interceptors and controllers', title: 'an unknown key in an interceptor', yaml: 'name: x\ninterceptors:\n  - use: config\n    options: {}\n', problems: [
      "service.yaml:4:5 interceptors[0].options: unknown key 'options'; allowed: use, with",
    ] },
  { group: 'interceptors and controllers', title: 'controllers written as one string', yaml: 'name: x\ncontrollers: ./tasks.controller.ts\n', problems: ['service.yaml:2:14 controllers: must be a list (got the string "./tasks.controller.ts")'] },
  { group: 'interceptors and controllers', title: 'an empty controller path', yaml: 'name: x\ncontrollers:\n  - ./a.ts\n  - ""\n', problems: ['service.yaml:4:5 controllers[1]: must not be empty'] },
  { group: 'interceptors and controllers', title: 'a controller that is not a path', yaml: 'name: x\ncontrollers:\n  - 42\n', problems: ['service.yaml:3:5 controllers[0]: must be a string (got 42)'] },
  { group: '${VAR} interpolation', title: 'a missing variable without default names the variable and the JSON path', yaml: 'name: x\ninterceptors:\n  - use: ./audit.ts\n    with:\n      url: ${AUDIT_URL}\n', problems: [
      'service.yaml:5:12 interceptors[0].with.url: environment variable AUDIT_URL is not set; set it, or give a default with ${AUDIT_URL:-default}',
    ] },
  { group: '${VAR} interpolation', title: 'a missing variable is never an empty string: it is one problem, not also a schema error', yaml: 'name: ${SERVICE_NAME}\nhttp:\n  port: ${PORT}\n', problems: [
      'service.yaml:1:7 name: environment variable SERVICE_NAME is not set; set it, or give a default with ${SERVICE_NAME:-default}',
      'service.yaml:3:9 http.port: environment variable PORT is not set; set it, or give a default with ${PORT:-default}',
    ] },
  { group: '${VAR} interpolation', title: 'a missing variable in a list item has the item index in its path', yaml: 'name: x\ncontrollers:\n  - ./a.ts\n  - ${EXTRA_CONTROLLER}\n', problems: [
      'service.yaml:4:5 controllers[1]: environment variable EXTRA_CONTROLLER is not set; set it, or give a default with ${EXTRA_CONTROLLER:-default}',
    ] },
  { group: '${VAR} interpolation', title: 'each missing variable of one value is reported', yaml: 'name: x\nscheduler:\n  lock: redis://${REDIS_HOST}:${REDIS_PORT}\n', problems: [
      'service.yaml:3:9 scheduler.lock: environment variable REDIS_HOST is not set; set it, or give a default with ${REDIS_HOST:-default}',
      'service.yaml:3:9 scheduler.lock: environment variable REDIS_PORT is not set; set it, or give a default with ${REDIS_PORT:-default}',
    ] },
  { group: '${VAR} interpolation', title: 'a missing variable under an unknown key: both are reported', yaml: 'name: x\ndatabase:\n  url: ${DATABASE_URL}\n', problems: [
      "service.yaml:2:1 database: unknown key 'database'; allowed: $schema, name, config, providers, interceptors, controllers, http, worker, scheduler, logging",
      'service.yaml:3:8 database.url: environment variable DATABASE_URL is not set; set it, or give a default with ${DATABASE_URL:-default}',
    ] },
  { group: '${VAR} interpolation', title: 'a reference filling a whole root-level list item has the index as its path', yaml: '- ${ITEM}\n', problems: [
      "service.yaml:1:1 the declaration must be a mapping of keys, starting with 'name: <service-name>', but it is a list",
      'service.yaml:1:3 [0]: environment variable ITEM is not set; set it, or give a default with ${ITEM:-default}',
    ] },
  { group: '${VAR} interpolation', title: 'an invalid reference name: ${1BAD}', yaml: 'name: x\nconfig:\n  a: ${1BAD}\n', problems: [
      "service.yaml:3:6 config.a: '${1BAD}' is not a valid reference: write ${NAME} or ${NAME:-default}, NAME being letters, digits and _ and not starting with a digit; write $${ for a literal ${",
    ] },
  { group: 'several mistakes in one run', title: 'are all reported, sorted by line', yaml: severalMistakes, problems: [
      `service.yaml:1:7 name: must start with a lower case letter and contain only lower case letters, digits, '.', '_' or '-' (got the string "Tasks")`,
      'service.yaml:3:9 http.port: environment variable PORT is not set; set it, or give a default with ${PORT:-default}',
      'service.yaml:4:14 http.bodyLimit: must be at least 1 (got 0)',
      'service.yaml:6:10 logging.level: must be one of: "fatal", "error", "warn", "info", "debug", "trace", "silent" (got the string "loud")',
      'service.yaml:8:10 providers.clock: needs exactly one of: value, class, factory',
      "service.yaml:9:1 controller: unknown key 'controller' (did you mean 'controllers'?); allowed: $schema, name, config, providers, interceptors, controllers, http, worker, scheduler, logging",
    ] },
];

for (const group of new Set(MALFORMED.map((c) => c.group))) {
  describe(group, () => {
    for (const c of MALFORMED.filter((m) => m.group === group)) it(c.title, () => assert.deepEqual(problems(c.yaml), c.problems));
  });
}

describe('${VAR} interpolation', () => {

  it('${VAR:-default} takes the default when VAR is unset, typed like YAML (a whole-value number)', () => {
    const service = parsed('name: x\nhttp:\n  port: ${PORT:-3000}\n  host: ${HOST:-127.0.0.1}\n');
    assert.equal(service.http?.port, 3000);
    assert.equal(service.http?.host, '127.0.0.1');
  });

  it('${VAR:-default} takes the default when VAR is set to the empty string', () => {
    assert.equal(parsed('name: x\nhttp:\n  port: ${PORT:-3000}\n', { PORT: '' }).http?.port, 3000);
  });

  it('a value that is exactly ${VAR:-} leaves its key (or list item) out when VAR is unset or empty, so an optional option can be absent', () => {
    const service = parsed('name: x\nhttp:\n  host: ${HOST:-}\n  port: 3000\ncontrollers:\n  - ${EXTRA:-}\n');
    assert.equal(service.http?.host, '0.0.0.0'); // absent: the schema's default
    assert.deepEqual(service.controllers, []);
    assert.equal(parsed('name: x\nhttp:\n  host: ${HOST:-}\n', { HOST: '' }).http?.host, '0.0.0.0');
    assert.equal(parsed('name: x\nhttp:\n  host: ${HOST:-}\n', { HOST: '0.0.0.0' }).http?.host, '0.0.0.0');
  });

  it('${VAR:-} inside a longer value is the empty string', () => {
    assert.equal(parsed('name: x\nhttp:\n  host: a${HOST:-}b\n').http?.host, 'ab');
  });

  it('a whole-value reference is typed: PORT=8080 is the number 8080, TRUST=true the boolean', () => {
    const service = parsed('name: x\nhttp:\n  port: ${PORT}\n  trustProxy: ${TRUST}\n', { PORT: '8080', TRUST: 'true' });
    assert.equal(service.http?.port, 8080);
    assert.equal(service.http?.trustProxy, true);
  });

  it('a partial reference stays a string, and so does a number that would lose characters', () => {
    const service = parsed('name: x\nconfig:\n  url: "http://localhost:${PORT}"\n  pin: ${PIN}\n  ratio: ${RATIO}\n', { PORT: '8080', PIN: '0123', RATIO: '1e3' });
    assert.deepEqual(service.config, { url: 'http://localhost:8080', pin: '0123', ratio: '1e3' });
  });

  it('a value from the environment cannot break the YAML', () => {
    const service = parsed('name: x\nconfig:\n  motd: ${MOTD}\n', { MOTD: 'a: b\n- c # not a comment' });
    assert.deepEqual(service.config, { motd: 'a: b\n- c # not a comment' });
  });

  it('$${ is a literal ${', () => {
    assert.deepEqual(parsed('name: x\nconfig:\n  template: "Hello $${USER}, from ${HOST:-here}"\n').config, { template: 'Hello ${USER}, from here' });
  });

  it('a set variable whose value breaks the schema is reported as the schema error', () => {
    assert.deepEqual(problems('name: x\nhttp:\n  port: ${PORT}\n', { PORT: 'eighty' }), ['service.yaml:3:9 http.port: must be an integer (got the string "eighty")']);
  });

  it('an unclosed reference', () => {
    assert.deepEqual(problems('name: x\nconfig:\n  a: "${HOME"\n', { HOME: '/root' }), [
      "service.yaml:3:6 config.a: '${HOME' is not a valid reference: write ${NAME} or ${NAME:-default}, NAME being letters, digits and _ and not starting with a digit; write $${ for a literal ${",
    ]);
  });
});

describe('several mistakes in one run', () => {

  it('come as a DeclarationError with a stable code, structured problems and a readable message', () => {
    let error: unknown;
    try {
      parseDeclaration(severalMistakes, 'service.yaml', {}).throwIfProblems();
    } catch (err) {
      error = err;
    }
    assert.ok(error instanceof DeclarationError);
    assert.equal(error.code, 'JRR_DECLARATION_INVALID');
    assert.deepEqual(error.problems[2], { file: 'service.yaml', line: 4, column: 14, path: 'http.bodyLimit', message: 'must be at least 1 (got 0)' });
    assert.match(error.message, /^6 problems in the service declaration:\n {2}service\.yaml:1:7 name: /);
  });
});

describe('modules a declaration names (Host.load)', () => {
  it('an unknown built-in plugin says which one was meant and lists the built-ins', async () => {
    const [line] = await hostProblems('name: x\ninterceptors:\n  - use: confg\n');
    assert.match(line, /^service\.yaml:3:10 interceptors\[0\]\.use: cannot find module 'confg': did you mean 'config'\? \(built-in plugins: (\w[\w-]*, )*config(, \w[\w-]*)*; a path must start with \.\/ or \.\.\/\)$/);
  });

  it('a plugin path that does not exist', async () => {
    assert.deepEqual(await hostProblems('name: x\ninterceptors:\n  - use: config\n  - use: ./plugins/audit.ts\n'), ["service.yaml:4:10 interceptors[1].use: cannot find module './plugins/audit.ts'"]);
  });

  it('a plugin module that does not default-export a definePlugin result', async () => {
    assert.deepEqual(await hostProblems(`name: x\ninterceptors:\n  - use: ${modules}/not-a-plugin.ts\n`), [
      `service.yaml:3:10 interceptors[0].use: '${modules}/not-a-plugin.ts' does not export a plugin: its default export must be the result of definePlugin({ name, setup })`,
    ]);
  });

  it("plugin options failing the plugin's own schema, at interceptors[i].with.x", async () => {
    const yaml = `name: x\ninterceptors:\n  - use: config\n  - use: ${modules}/strict-plugin.ts\n    with:\n      url: ftp://audit\n      retries: -1\n      retrys: 3\n`;
    assert.deepEqual(await hostProblems(yaml), [
      'service.yaml:6:12 interceptors[1].with.url: must match the pattern ^https?:// (got the string "ftp://audit")',
      'service.yaml:7:16 interceptors[1].with.retries: must be at least 0 (got -1)',
      "service.yaml:8:7 interceptors[1].with.retrys: unknown key 'retrys' (did you mean 'retries'?); allowed: url, retries, backoffMs",
    ]);
  });

  it("a plugin's required option is reported at its with", async () => {
    assert.deepEqual(await hostProblems(`name: x\ninterceptors:\n  - use: ${modules}/strict-plugin.ts\n    with: {}\n`), ["service.yaml:4:11 interceptors[0].with: missing required key 'url'"]);
  });

  it("a plugin schema's if/then rule reports the missing key, not 'must match \"then\" schema'", async () => {
    assert.deepEqual(await hostProblems(`name: x\ninterceptors:\n  - use: ${modules}/strict-plugin.ts\n    with:\n      url: https://audit\n      retries: 3\n`), [
      "service.yaml:5:7 interceptors[0].with: missing required key 'backoffMs'",
    ]);
  });

  it('options that are not a mapping are reported once, not by both schemas', async () => {
    assert.deepEqual(await hostProblems('name: x\ninterceptors:\n  - use: config\n    with: 3\n'), ['service.yaml:4:11 interceptors[0].with: must be a mapping (got 3)']);
  });

  it('a controller module that does not exist', async () => {
    assert.deepEqual(await hostProblems(`name: x\ncontrollers:\n  - ${modules}/ping.controller.ts\n  - ./tasks.controller.ts\n`), ["service.yaml:4:5 controllers[1]: cannot find module './tasks.controller.ts'"]);
  });

  it('a controller module that exports no controller', async () => {
    assert.deepEqual(await hostProblems(`name: x\ncontrollers:\n  - ${modules}/no-controller.ts\n`), [
      `service.yaml:3:5 controllers[0]: '${modules}/no-controller.ts' exports no controller: export a class decorated with @RestController, @MessageBusController, @WebSocketEndpoint or with @ScheduledAction methods`,
    ]);
  });

  it('a provider module without the named export lists what it exports', async () => {
    assert.deepEqual(await hostProblems(`name: x\nproviders:\n  tasks:\n    class: ${modules}/store.ts#TasksStore\n`), [
      `service.yaml:4:12 providers.tasks.class: '${modules}/store.ts' has no export 'TasksStore' (it exports: TaskStore, makeClock, notAFunction)`,
    ]);
  });

  it('a provider factory that is not a function', async () => {
    assert.deepEqual(await hostProblems(`name: x\nproviders:\n  clock:\n    factory: ${modules}/store.ts#notAFunction\n`), [
      `service.yaml:4:14 providers.clock.factory: '${modules}/store.ts#notAFunction' is a string, not a function`,
    ]);
  });

  it("a config section failing the config plugin's schema, at config.x", async () => {
    const yaml = [
      'name: x',
      'config:',
      '  pageSize: ${PAGE_SIZE:-many}',
      'interceptors:',
      '  - use: config',
      '    with:',
      '      schema:',
      '        type: object',
      '        required: [greeting]',
      '        properties:',
      '          pageSize: { type: integer }',
      '',
    ].join('\n');
    const lines = await hostProblems(yaml);
    assert.equal(lines.length, 2, lines.join('\n'));
    // The config plugin words its own messages; the host places them (line:col, path).
    assert.match(lines[0], /^service\.yaml:3:3 config: missing required key 'greeting'/);
    assert.match(lines[1], /^service\.yaml:3:13 config\.pageSize: must be (an )?integer/);
  });

  it('module paths are relative to the declaration, not to the working directory', async () => {
    const dir = writeService({ 'sub/service.yaml': `name: x\ncontrollers:\n  - ../${modules}/ping.controller.ts\n` });
    assert.notEqual(process.cwd(), path.join(dir, 'sub'));
    const host = await Host.load({ config: path.join(dir, 'sub', 'service.yaml'), roles: [], env: {}, logger: silent });
    assert.deepEqual(host.controllers.map((c) => c.cls.name), ['PingController']);
  });

  it('schema mistakes and module mistakes come together, sorted by line', async () => {
    const yaml = `name: x\nhttp:\n  port: -5\ncontrollers:\n  - ./missing.ts\nproviders:\n  clock:\n    factory: ${modules}/store.ts#clock\n`;
    assert.deepEqual(await hostProblems(yaml), [
      'service.yaml:3:9 http.port: must be at least 0 (got -5)',
      "service.yaml:5:5 controllers[0]: cannot find module './missing.ts'",
      `service.yaml:8:14 providers.clock.factory: '${modules}/store.ts' has no export 'clock' (it exports: TaskStore, makeClock, notAFunction)`,
    ]);
  });

  it('the example declaration loads with its port typed from the default', async () => {
    const host = await Host.load({ config: path.join(repoRoot, 'examples/tasks/service.yaml'), roles: [], env: {}, logger: silent });
    assert.equal(host.service.http?.port, 3000);
  });
});

// Host.load builds its logger and walks `interceptors`/`controllers` before it reports the
// declaration's problems, so these crash with a TypeError (exit 1) instead. See the report.
describe('mistakes that reach module loading before being reported (host.ts)', () => {
  it('an invalid logging.level is a declaration problem, not a pino crash', async () => {
    // No logger given: the host builds its own from logging.level, as the CLI does.
    assert.deepEqual(await hostProblems('name: x\nlogging:\n  level: loud\n', {}, null), [
      'service.yaml:3:10 logging.level: must be one of: "fatal", "error", "warn", "info", "debug", "trace", "silent" (got the string "loud")',
    ]);
  });

  it('interceptors written as a mapping', async () => {
    assert.deepEqual(await hostProblems('name: x\ninterceptors:\n  use: config\n'), ['service.yaml:3:3 interceptors: must be a list (got a mapping)']);
  });

  it('controllers written as one string', async () => {
    assert.deepEqual(await hostProblems('name: x\ncontrollers: ./a.ts\n'), ['service.yaml:2:14 controllers: must be a list (got the string "./a.ts")']);
  });
});
