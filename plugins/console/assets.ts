// The page's files, served by the plugin itself (no third-party requests): its own, from
// plugins/console/assets/ (shipped as they are, not compiled: found from the sources and from
// dist/plugins/console/ alike), and the libraries it uses — Preact, htm, uPlot — read from
// node_modules where Node resolves them from this file (so it works from an installed package).
import { readFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const folder = new URL(`${import.meta.url.includes('/dist/plugins/') ? '../../../plugins/console/' : './'}assets/`, import.meta.url);

const TYPES: Record<string, string> = { js: 'text/javascript; charset=utf-8', mjs: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' };

// Served as <path>/vendor/<name>: [package, file inside it].
const VENDOR: Record<string, [string, string]> = {
  'preact.mjs': ['preact', 'dist/preact.mjs'],
  'hooks.mjs': ['preact', 'hooks/dist/hooks.mjs'],
  'htm.mjs': ['htm', 'dist/htm.mjs'],
  'uPlot.esm.js': ['uplot', 'dist/uPlot.esm.js'],
  'uPlot.min.css': ['uplot', 'dist/uPlot.min.css'],
};

/** The import map the page uses for the vendored modules. */
export function importMap(base: string): Record<string, string> {
  return { preact: `${base}/vendor/preact.mjs`, 'preact/hooks': `${base}/vendor/hooks.mjs`, htm: `${base}/vendor/htm.mjs`, uplot: `${base}/vendor/uPlot.esm.js` };
}

const require = createRequire(import.meta.url);
const roots = new Map<string, string>();

/** A package's folder: up from its resolved entry to the package.json naming it. */
function packageRoot(name: string): string | undefined {
  let root = roots.get(name);
  if (root) return root;
  let dir = path.dirname(require.resolve(name));
  while (!(existsSync(path.join(dir, 'package.json')) && (JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string }).name === name)) {
    const up = path.dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
  roots.set(name, (root = dir));
  return root;
}

type Asset = { body: Buffer; type: string };

async function read(file: string | URL, name: string): Promise<Asset | undefined> {
  const type = TYPES[name.split('.').pop() ?? ''];
  if (!type) return undefined;
  try {
    return { body: await readFile(file), type };
  } catch {
    return undefined;
  }
}

/** A file of the assets folder (a plain name: no path), with its content type; undefined if none. */
export async function consoleAsset(name: string): Promise<Asset | undefined> {
  if (!/^[a-z0-9][a-z0-9.-]*$/i.test(name)) return undefined;
  return read(new URL(name, folder), name);
}

/** One of the vendored library files by its name (VENDOR); undefined for any other name. */
export async function vendorAsset(name: string): Promise<Asset | undefined> {
  const entry = Object.hasOwn(VENDOR, name) ? VENDOR[name] : undefined;
  if (!entry) return undefined;
  let root: string | undefined;
  try {
    root = packageRoot(entry[0]);
  } catch {
    // not installed: the page says what is missing
  }
  return root ? read(path.join(root, entry[1]), name) : undefined;
}
