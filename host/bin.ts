#!/usr/bin/env node
// Entry of `jararaca-host`. From dist/, it registers tsx first so that the user's .ts modules
// load with no build step, sharing module instances with the host; with the tsconfig.json
// nearest the declaration, not the working directory's. Everything else is imported after
// Node's compile cache is on (static imports would be evaluated before it).
import module from 'node:module';

// Node ≥ 22.1 keeps V8's compiled code of every module in the OS temp folder (or
// NODE_COMPILE_CACHE): a start after the first skips most of the compiling. Node 20 has no cache.
(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();

if (import.meta.url.endsWith('.js')) {
  const [{ register }, { declarationTsconfig }] = await Promise.all([import('tsx/esm/api'), import('./cli/tsconfig.ts')]);
  register({ tsconfig: declarationTsconfig(process.argv.slice(2)) });
}
const [{ main }, { flushOutput }] = await Promise.all([import('./cli/main.ts'), import('./cli/flush.ts')]);
const code = await main(process.argv.slice(2));
// A piped stdout (`dlq list | wc -l`) may still hold output: exiting now would drop it.
await flushOutput([process.stdout, process.stderr]);
// Exit explicitly: a handler still running past the shutdown deadline must not keep the process alive.
process.exit(code);
