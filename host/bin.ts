#!/usr/bin/env node
// Entry of `jararaca-host`. From dist/, it registers tsx before any user module loads, so that
// the user's .ts modules load with no build step, sharing module instances with the host; with
// the tsconfig.json nearest the declaration, not the working directory's. Everything is
// imported after Node's compile cache is on (static imports would be evaluated before it).
import './runtime/compile-cache.ts';
import { loaderHooksSetUp } from './runtime/loader-hooks.ts';

// The CLI's own modules load before tsx is registered: on Node 20 every import after it is a
// round trip to tsx's loader thread. No user module is among them.
const [{ main }, { flushOutput }, { declarationTsconfig }] = await Promise.all([import('./cli/main.ts'), import('./cli/flush.ts'), import('./cli/tsconfig.ts')]);
if (import.meta.url.endsWith('.js')) {
  const { register } = await import('tsx/esm/api');
  register({ tsconfig: declarationTsconfig(process.argv.slice(2)) });
}
await loaderHooksSetUp();
const code = await main(process.argv.slice(2));
// A piped stdout (`dlq list | wc -l`) may still hold output: exiting now would drop it.
await flushOutput([process.stdout, process.stderr]);
// Exit explicitly: a handler still running past the shutdown deadline must not keep the process alive.
process.exit(code);
