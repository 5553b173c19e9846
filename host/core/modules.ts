// Loads modules named in a declaration: relative paths (to the declaration's file) or installed
// packages, .ts or .js alike. The host registers tsx when it runs from dist/, so a user's
// TypeScript needs no build step; it shares module instances with the host.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { JararacaError, ModuleLoadError } from './errors.ts';
import { resolvePackage } from './package-resolve.ts';

export async function importModule(specifier: string, fromFile: string): Promise<Record<string, unknown>> {
  let url: string;
  if (specifier.startsWith('.') || path.isAbsolute(specifier)) {
    url = pathToFileURL(path.resolve(path.dirname(fromFile), specifier)).href;
  } else {
    // With ESM conditions ("import", "node", "default") from the declaration's folder; else the
    // host's own resolution tries (a package installed beside the host).
    const file = resolvePackage(specifier, fromFile);
    url = file ? pathToFileURL(file).href : specifier;
  }
  try {
    return (await import(url)) as Record<string, unknown>;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    // Raised by the other copy: rethrown as this copy's error, so its exit code and message hold.
    if (e.code === 'JRR_DUPLICATE_INSTANCE') throw new JararacaError('JRR_DUPLICATE_INSTANCE', e.message);
    const reason = e.code === 'ERR_MODULE_NOT_FOUND' || e.code === 'MODULE_NOT_FOUND' ? `cannot find module '${specifier}'` : `cannot load '${specifier}': ${firstLines(e.message)}`;
    throw new ModuleLoadError('JRR_MODULE_LOAD', reason, { cause: err });
  }
}

/** An error's first line; with the next when it announces it ("Transform failed with 1 error:" → where and what). */
function firstLines(message: string): string {
  const [first, second] = message.split('\n');
  return first.endsWith(':') && second ? `${first} ${second.trim()}` : first;
}

/** `./module.ts#Export` → the module and export names. */
export function splitReference(reference: string): { module: string; exportName: string } {
  const i = reference.lastIndexOf('#');
  return { module: reference.slice(0, i), exportName: reference.slice(i + 1) };
}

export async function importExport(reference: string, fromFile: string): Promise<unknown> {
  const { module, exportName } = splitReference(reference);
  const mod = await importModule(module, fromFile);
  if (!(exportName in mod)) {
    const names = Object.keys(mod).filter((k) => k !== 'default');
    throw new ModuleLoadError('JRR_EXPORT_MISSING', `'${module}' has no export '${exportName}'` + (names.length ? ` (it exports: ${names.join(', ')})` : ''));
  }
  return mod[exportName];
}
