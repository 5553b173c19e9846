// The page's files, served by the plugin itself (no third-party requests). They live in
// plugins/console/assets/ (shipped as they are, not compiled): found from the sources and
// from dist/plugins/console/ alike.
import { readFile } from 'node:fs/promises';

const folder = new URL(`${import.meta.url.includes('/dist/plugins/') ? '../../../plugins/console/' : './'}assets/`, import.meta.url);

const TYPES: Record<string, string> = { js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' };

/** A file of the assets folder (a plain name: no path), with its content type; undefined if none. */
export async function consoleAsset(name: string): Promise<{ body: Buffer; type: string } | undefined> {
  const type = TYPES[name.split('.').pop() ?? ''];
  if (!type || !/^[a-z0-9][a-z0-9.-]*$/i.test(name)) return undefined;
  try {
    return { body: await readFile(new URL(name, folder)), type };
  } catch {
    return undefined;
  }
}
