// The files `jararaca-host init NAME` writes: templates/init/ (a small service with a route, a
// message handler, a scheduled action, a WebSocket endpoint, a migration and a test on
// jararaca/testing; type-checked with the repository), `__NAME__` replaced, and a package.json.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface TemplateVersions {
  /** What the project depends on for the framework: a range, or file:…tgz. */
  jararaca: string;
  tsx: string;
  typescript: string;
  typesNode: string;
}

// From host/cli/ (sources) or dist/host/cli/ (built).
const templateDir = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? '../../templates/init/' : '../../../templates/init/', import.meta.url));

// npm leaves a file named .gitignore out of a package: the template's is `gitignore`.
const RENAMED: Record<string, string> = { gitignore: '.gitignore' };

export function projectFiles(name: string, v: TemplateVersions): Record<string, string> {
  const files: Record<string, string> = {};
  for (const entry of readdirSync(templateDir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const relative = path.relative(templateDir, path.join(entry.parentPath, entry.name)).split(path.sep).join('/');
    files[RENAMED[relative] ?? relative] = readFileSync(path.join(entry.parentPath, entry.name), 'utf8').replaceAll('__NAME__', name);
  }
  const packageJson = {
    name,
    version: '0.1.0',
    private: true,
    type: 'module',
    engines: { node: '>=22.12' }, // the framework's own
    scripts: {
      start: 'jararaca-host --config service.yaml --role all',
      test: 'node --import tsx --test test/*.test.ts',
      typecheck: 'tsc --noEmit',
      validate: 'jararaca-host validate --config service.yaml',
    },
    dependencies: { jararaca: v.jararaca },
    devDependencies: { '@types/node': v.typesNode, tsx: v.tsx, typescript: v.typescript },
  };
  files['package.json'] = JSON.stringify(packageJson, null, 2) + '\n';
  return files;
}
