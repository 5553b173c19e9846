// Finds an installed package's file the way `import` does (ESM conditions: the process's own
// --conditions, then "node", "import", "default"), from the folder of the file that names it:
// a plugin package whose package.json `exports` has only an "import" entry is found, which a
// CommonJS require.resolve (conditions "require", "node", "default") would not find.
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

type ExportsValue = string | null | ExportsValue[] | { [key: string]: ExportsValue };

/** The conditions this process was started with (`--conditions=source`, `-C source`). */
function processConditions(): string[] {
  const out: string[] = [];
  const args = [...process.execArgv, ...(process.env.NODE_OPTIONS?.split(/\s+/) ?? [])];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg.startsWith('--conditions=')) out.push(arg.slice('--conditions='.length));
    else if ((arg === '--conditions' || arg === '-C') && args[i + 1]) out.push(args[++i]);
  }
  return out;
}

const CONDITIONS = new Set([...processConditions(), 'node', 'import', 'default']);

/** `@scope/name/sub/path` → `@scope/name` and `./sub/path`. */
function splitSpecifier(specifier: string): { name: string; subpath: string } | undefined {
  const parts = specifier.split('/');
  const n = specifier.startsWith('@') ? 2 : 1;
  if (parts.length < n || parts.slice(0, n).some((p) => !p)) return undefined;
  const rest = parts.slice(n).join('/');
  return { name: parts.slice(0, n).join('/'), subpath: rest ? `./${rest}` : '.' };
}

function pickTarget(value: ExportsValue | undefined, star?: string): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string') return star === undefined ? value : value.replaceAll('*', star);
  if (Array.isArray(value)) {
    for (const v of value) {
      const t = pickTarget(v, star);
      if (t) return t;
    }
    return undefined;
  }
  // Conditions in the order the package wrote them; the first one this process accepts wins.
  for (const [condition, v] of Object.entries(value)) {
    if (CONDITIONS.has(condition)) {
      const t = pickTarget(v, star);
      if (t) return t;
    }
  }
  return undefined;
}

function resolveExports(exports: ExportsValue, subpath: string): string | undefined {
  const map = typeof exports === 'object' && exports !== null && !Array.isArray(exports) && Object.keys(exports).some((k) => k.startsWith('.')) ? exports : { '.': exports };
  if (subpath in map) return pickTarget(map[subpath]);
  for (const [key, value] of Object.entries(map)) {
    const star = key.indexOf('*');
    if (star < 0) continue;
    const [before, after] = [key.slice(0, star), key.slice(star + 1)];
    if (subpath.startsWith(before) && subpath.endsWith(after) && subpath.length >= key.length - 1) return pickTarget(value, subpath.slice(before.length, subpath.length - after.length));
  }
  return undefined;
}

function isFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/**
 * The absolute file `specifier` (a package name, maybe with a subpath) names from `fromFile`,
 * or undefined when no node_modules above it has the package.
 */
export function resolvePackage(specifier: string, fromFile: string): string | undefined {
  const parts = splitSpecifier(specifier);
  if (!parts) return undefined;
  for (let dir = path.dirname(path.resolve(fromFile)); ; dir = path.dirname(dir)) {
    const root = path.join(dir, 'node_modules', parts.name);
    const manifest = path.join(root, 'package.json');
    if (existsSync(manifest)) {
      const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { exports?: ExportsValue; main?: string };
      if (pkg.exports !== undefined) {
        const target = resolveExports(pkg.exports, parts.subpath);
        return target ? path.join(root, target) : undefined;
      }
      const candidates = parts.subpath === '.' ? [pkg.main, 'index.js'] : [parts.subpath, `${parts.subpath}.js`, `${parts.subpath}/index.js`];
      for (const c of candidates) if (c && isFile(path.join(root, c))) return path.join(root, c);
      return undefined;
    }
    if (path.dirname(dir) === dir) return undefined;
  }
}
