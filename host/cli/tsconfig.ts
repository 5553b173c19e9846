// Which tsconfig.json tsx reads for the user's modules: the one nearest the declaration (its
// folder, then up), not the working directory's, so a declaration loads the same from anywhere.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { defaultDeclarationPath } from '../core/declaration.ts';

/** The declaration the arguments name (--config PATH, --config=PATH, -c PATH), else the default one. */
function declarationIn(argv: readonly string[], cwd: string): string {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg.startsWith('--config=')) return path.resolve(cwd, arg.slice('--config='.length));
    if ((arg === '--config' || arg === '-c') && argv[i + 1]) return path.resolve(cwd, argv[i + 1]);
  }
  return defaultDeclarationPath(cwd);
}

/** The nearest tsconfig.json above the declaration, or false (tsx's defaults; never the cwd's). */
export function declarationTsconfig(argv: readonly string[], cwd = process.cwd()): string | false {
  for (let dir = path.dirname(declarationIn(argv, cwd)); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'tsconfig.json');
    if (existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) return false;
  }
}
