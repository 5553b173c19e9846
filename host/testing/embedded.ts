// The embedded database a test host runs on, and its early start.
import { readFileSync } from 'node:fs';
import type { ServiceDeclaration } from '../core/declaration.types.ts';

/** The kit's DATABASE_URL unless the test's env says otherwise. */
export const EMBEDDED_DATABASE_URL = 'pglite://memory';

/**
 * Starts a pglite://memory database now, when the declaration may use one: its start (~1 s, in
 * a process of its own) is the longest part of a test host's, and this way it runs while the
 * framework and the service's modules load (~0.6 s) instead of after. knex-session's first
 * memory database takes it; one nobody takes costs its start on another core, and does not
 * keep this process alive. A guess from the text (a `${DATABASE_URL}` or the URL itself):
 * wrong either way, it only changes when the database starts.
 */
export async function startEmbeddedDatabase(declaration: string | ServiceDeclaration, env: Readonly<Record<string, string | undefined>> | undefined): Promise<void> {
  if ((env?.DATABASE_URL ?? EMBEDDED_DATABASE_URL) !== EMBEDDED_DATABASE_URL) return;
  let text: string;
  try {
    text = typeof declaration === 'string' ? readFileSync(declaration, 'utf8') : JSON.stringify(declaration);
  } catch {
    return; // Host.load says what is wrong with it
  }
  if (!text.includes('DATABASE_URL') && !text.includes(EMBEDDED_DATABASE_URL)) return;
  // knex-session's public entry for it (not its internals): the kit's one use of a plugin.
  (await import('jararaca/knex-session/embedded')).prepareMemoryPglite();
}
