// Under `jararaca-host dev` (JARARACA_DEV=1), pglite://memory becomes a data directory under
// .jararaca/ beside service.yaml, so the data a developer made survives the restarts on every
// change. Delete the folder to start empty. Anywhere else memory stays memory.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { isMemoryUrl } from './engine.ts';

/** pglite://memory, and not made a folder by the dev loop: a database that lives in this process only. */
export function staysInMemory(url: string): boolean {
  return isMemoryUrl(url) && process.env.JARARACA_DEV !== '1';
}

export function devUrl(url: string, connection: string, resolvePath: (specifier: string) => string, logger: Logger): string {
  if (!isMemoryUrl(url) || process.env.JARARACA_DEV !== '1') return url;
  const dir = `./.jararaca/pglite-${connection}`;
  mkdirSync(path.dirname(resolvePath(dir)), { recursive: true });
  logger.info({ dir }, `dev: ${url} is kept in ${dir} across restarts (delete the folder to start empty)`);
  return `pglite://${dir}`;
}
