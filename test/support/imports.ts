// The import graph of the framework's own sources (host/ and plugins/), read as text: relative
// imports, and imports of 'jararaca' and its subpaths (the package's own entry points, from its
// exports). Type-only imports count: they tie modules together as much as values do.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const repoRoot = path.resolve(import.meta.dirname, '../..');

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'";]*?from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)/g;

export function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(repoRoot, dir), { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile() && d.name.endsWith('.ts') && !d.name.endsWith('.d.ts'))
    .map((d) => path.relative(repoRoot, path.join(d.parentPath, d.name)));
}

/** Every import specifier of a file (relative ones as written, packages by name). */
export function importsOf(file: string): string[] {
  const text = readFileSync(path.join(repoRoot, file), 'utf8');
  return [...text.matchAll(IMPORT)].map((m) => m[1] ?? m[2]);
}

// The package's entry points, by specifier: the source file of each export ('jararaca/testing' → host/testing/index.ts).
const packageExports = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')).exports as Record<string, string | { source?: string }>;
export const publicEntries = new Map(
  Object.entries(packageExports).flatMap(([key, target]) => (typeof target === 'object' && target.source ? [[path.posix.join('jararaca', key), path.normalize(target.source)] as const] : [])),
);

/** The file an import of the framework's own code lands on, or undefined for another package. */
export function resolveOwn(from: string, specifier: string): string | undefined {
  if (specifier.startsWith('.')) return path.normalize(path.join(path.dirname(from), specifier));
  return publicEntries.get(specifier);
}

/** The import cycles among `files`, each as the list of files around it. */
export function importCycles(files: readonly string[]): string[][] {
  const graph = new Map(files.map((f) => [f, importsOf(f).map((s) => resolveOwn(f, s)).filter((t): t is string => t !== undefined)]));
  const cycles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (file: string) => {
    state.set(file, 'open');
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === 'open') cycles.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const f of files) if (!state.has(f)) visit(f);
  return cycles;
}
