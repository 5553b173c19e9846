// The console's WebSocket page and overview on one process running every role (in-process
// engines): connections per endpoint and replica, rooms and their sizes, from the heartbeat.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { WebSocket } from 'ws';
import { http, spawnHost, writeService, type SpawnedHost } from '../support/host.ts';
import { eventually } from '../support/eventually.ts';
import { liveEndpointModule, watchRoom } from './live-endpoint.ts';

const VIEWER = { authorization: `Basic ${Buffer.from('vera:viewer-pass').toString('base64')}` };

const dir = writeService({
  'service.yaml': `name: console-ws
interceptors:
  - use: console
    with:
      viewer: vera:viewer-pass
      heartbeatMs: 500
  - use: websocket
    with:
      url: memory://
controllers:
  - ./live.ts
`,
  'live.ts': liveEndpointModule,
});

let host: SpawnedHost;
const sockets: WebSocket[] = [];
before(async () => {
  host = await spawnHost(`${dir}/service.yaml`, { args: ['--role', 'all'] });
});
after(async () => {
  for (const s of sockets) s.close();
  await host?.stop();
});

const watch = (room: string) => watchRoom(host.url, sockets, room);

test('connections per endpoint and replica, rooms by size', async () => {
  await watch('task:1');
  await watch('task:1');
  await watch('task:2');
  const page = await eventually('three connections seen', async () => {
    const res = await http('GET', `${host.url}/_console/api/websocket`, undefined, VIEWER);
    return res.body.endpoints[0]?.connections === 3 ? res.body : undefined;
  });
  assert.deepEqual(page.endpoints, [{ path: '/live', connections: 3 }]);
  assert.deepEqual(page.rooms, [{ room: 'task:1', size: 2 }, { room: 'task:2', size: 1 }]);
  assert.equal(page.replicas.length, 1);
  assert.match(page.replicas[0].replica, new RegExp(`:${host.child.pid}$`));
  sockets.pop()!.close();
  await eventually('a closed connection leaves', async () => (await http('GET', `${host.url}/_console/api/websocket`, undefined, VIEWER)).body.rooms.length === 1);
});

test('the overview: one process with every role, heartbeats kept in process', async () => {
  const overview = (await http('GET', `${host.url}/_console/api/overview`, undefined, VIEWER)).body;
  assert.equal(overview.store, 'process');
  for (const role of ['http', 'worker', 'scheduler']) assert.deepEqual(overview.roles[role].map((p: { pid: number }) => p.pid), [host.child.pid]);
  assert.ok(overview.executions.some((e: { kind: string }) => e.kind === 'websocket'), JSON.stringify(overview.executions.map((e: { kind: string }) => e.kind)));
});
