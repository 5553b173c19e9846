#!/usr/bin/env node
// Entry of `jararaca-host`. From dist/, it registers tsx first so that the user's .ts modules
// load with no build step, sharing module instances with the host; with the tsconfig.json
// nearest the declaration, not the working directory's.
import { main } from './cli/main.ts';
import { flushOutput } from './cli/flush.ts';
import { declarationTsconfig } from './cli/tsconfig.ts';

if (import.meta.url.endsWith('.js')) {
  const { register } = await import('tsx/esm/api');
  register({ tsconfig: declarationTsconfig(process.argv.slice(2)) });
}
const code = await main(process.argv.slice(2));
// A piped stdout (`dlq list | wc -l`) may still hold output: exiting now would drop it.
await flushOutput([process.stdout, process.stderr]);
// Exit explicitly: a handler still running past the shutdown deadline must not keep the process alive.
process.exit(code);
