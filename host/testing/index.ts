// jararaca/testing: run a service in the test's own process (docs/testing.md).
import '../runtime/compile-cache.ts';
import { startEmbeddedDatabase } from './embedded.ts';
import type { createTestHost as create } from './test-host.ts';

export { TestClock } from './clock.ts';
export type { PublishedMessage, TestHost, TestHostOptions } from './test-host.ts';
export type { TestWsClient, WsFrame } from './ws-client.ts';

let firstCall = true;

/**
 * Runs a service in this process (see TestHostOptions). The host and its roles are imported on
 * the first call, after the compile cache is on (runtime/compile-cache.ts), after the embedded
 * database started (embedded.ts), and after a pause for the loader hooks (below).
 */
export async function createTestHost(...args: Parameters<typeof create>): ReturnType<typeof create> {
  await startEmbeddedDatabase(args[0], args[1]?.env);
  if (firstCall) {
    firstCall = false;
    await loaderHooksSetUp();
  }
  return (await import('./test-host.ts')).createTestHost(...args);
}

/**
 * A pause of 20 ms, once per process, before the framework's ~900 modules load. Loader hooks
 * registered at start-up finish setting up asynchronously: tsx compiles the WebAssembly build of
 * the lexer it runs on every module, and lexes with a JavaScript fallback (cold, ~3× slower)
 * until then. A test process gives its event loop no turn between tsx's start and its first
 * test, so without the pause the set-up completes only after everything loaded the slow way:
 * ~0.25 s more on the first test (Node 22, bench/README.md "startup").
 */
function loaderHooksSetUp(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 20));
}
