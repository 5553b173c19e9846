// jararaca/testing: run a service in the test's own process (docs/testing.md).
import '../runtime/compile-cache.ts';
import { loaderHooksSetUp } from '../runtime/loader-hooks.ts';
import { startEmbeddedDatabase } from './embedded.ts';
import type { createTestHost as create } from './test-host.ts';

export { TestClock } from './clock.ts';
export type { PublishedMessage, TestHost, TestHostOptions } from './test-host.ts';
export type { TestWsClient, WsFrame } from './ws-client.ts';

/**
 * Runs a service in this process (see TestHostOptions). The host and its roles are imported on
 * the first call, after the compile cache is on (runtime/compile-cache.ts), after the embedded
 * database started (embedded.ts), and after a pause for the loader hooks (runtime/loader-hooks.ts).
 */
export async function createTestHost(...args: Parameters<typeof create>): ReturnType<typeof create> {
  await startEmbeddedDatabase(args[0], args[1]?.env);
  await loaderHooksSetUp();
  return (await import('./test-host.ts')).createTestHost(...args);
}
