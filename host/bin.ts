#!/usr/bin/env node
// Entry of `jararaca-host`. From dist/, it registers tsx first so that the user's .ts modules
// load with no build step, sharing module instances with the host.
import { main } from './cli.ts';

if (import.meta.url.endsWith('.js')) {
  const { register } = await import('tsx/esm/api');
  register();
}
process.exitCode = await main(process.argv.slice(2));
