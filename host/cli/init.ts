// `jararaca-host init NAME [--jararaca SPEC]`: a new project in ./NAME whose `npm test` passes
// right after `npm install`.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { UsageError } from '../core/errors.ts';
import { projectFiles, type TemplateVersions } from './init-template.ts';
import type { CliIO } from './io.ts';

interface OwnManifest {
  version: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
}

// From host/cli/ (sources) or dist/host/cli/ (built).
function ownManifest(): OwnManifest {
  const url = new URL(import.meta.url.endsWith('.ts') ? '../../package.json' : '../../../package.json', import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')) as OwnManifest;
}

export async function init(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { jararaca: { type: 'string' } } });
  const name = positionals[0];
  if (!name || positionals.length > 1) throw new UsageError('JRR_USAGE', 'init needs one project name: jararaca-host init NAME');
  if (!/^[a-z][a-z0-9._-]*$/.test(name)) throw new UsageError('JRR_USAGE', `init: '${name}' is not a valid name: lowercase letters, digits, '.', '_' and '-', starting with a letter`);
  const dir = path.resolve(name);
  if (existsSync(dir) && readdirSync(dir).length) throw new UsageError('JRR_USAGE', `init: ${dir} exists and is not empty; choose another name or remove it`);
  const own = ownManifest();
  const versions: TemplateVersions = {
    jararaca: values.jararaca ?? `^${own.version}`,
    tsx: own.dependencies.tsx,
    typescript: own.devDependencies.typescript,
    typesNode: own.devDependencies['@types/node'],
  };
  for (const [file, text] of Object.entries(projectFiles(name, versions))) {
    const at = path.join(dir, file);
    mkdirSync(path.dirname(at), { recursive: true });
    writeFileSync(at, text);
  }
  io.stdout.write(`created ${path.relative(process.cwd(), dir) || dir}: a jararaca service. Next:\n  cd ${name}\n  npm install\n  npm test\n`);
  return 0;
}
