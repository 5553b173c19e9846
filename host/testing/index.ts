// jararaca/testing: run a service in the test's own process (docs/testing.md).
export { TestClock } from './clock.ts';
export { createTestHost } from './test-host.ts';
export type { PublishedMessage, TestHost, TestHostOptions } from './test-host.ts';
export type { TestWsClient, WsFrame } from './ws-client.ts';
