// The processes a test looks for by their parent.
import { execFileSync } from 'node:child_process';

/** The pids of `parent`'s pglite://memory database children (pglite-process). */
export function databaseChildren(parent: number): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(parent), '-f', 'pglite-process'], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}
