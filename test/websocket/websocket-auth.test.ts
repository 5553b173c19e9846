// A client that @OnConnect is still deciding on (and will refuse) hears nothing meanwhile;
// an accepted one hears what its own connect handler sent and later broadcasts.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { WebSocket } from 'ws';
import { http, spawnHost, writeService } from '../support/host.ts';
import { eventually } from '../support/eventually.ts';

const controller = `
import { Post, RestController } from 'jararaca';
import { useExecution } from 'jararaca';
import { OnClose, OnConnect, useWsManager, WebSocketEndpoint, WsClose } from 'jararaca/websocket';

@WebSocketEndpoint('/ws')
export class Guarded {
  @OnConnect()
  async connect(connection, request) {
    await new Promise((r) => setTimeout(r, 1000)); // a slow token check
    if (request.headers.authorization !== 'Bearer ok') throw new WsClose(4401, 'unauthorized');
    useWsManager().join(connection.id, 'staff');
    useWsManager().sendTo(connection.id, { type: 'welcome', data: {} });
  }

  @OnClose()
  async close(connection) {
    useExecution().logger.info({ connectionId: connection.id }, 'close handler ran');
  }
}

@RestController('/')
export class Announce {
  @Post('/secret') async secret() { useWsManager().broadcast({ type: 'secret', data: { payroll: 42 } }); useWsManager().send('staff', { type: 'staff', data: {} }); return { ok: true }; }
}
`;

function connect(url: string, headers: Record<string, string> = {}) {
  const socket = new WebSocket(url, { headers });
  const frames: Array<{ type: string }> = [];
  socket.on('message', (raw) => frames.push(JSON.parse(raw.toString())));
  const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
  const opened = new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  return { socket, frames, closed, opened };
}

/** The guarded service in its own jararaca-host, and its WebSocket URL. */
async function startGuarded() {
  const dir = writeService({
    'guarded.ts': controller,
    'service.yaml': 'name: guarded\ninterceptors:\n  - use: websocket\n    with: { url: "memory://" }\ncontrollers: [./guarded.ts]\n',
  });
  const host = await spawnHost(path.join(dir, 'service.yaml'), { args: ['--role', 'http'] });
  return { host, ws: host.url.replace('http', 'ws') + '/ws' };
}

test('a connection @OnConnect refuses receives no broadcast while it waits; an accepted one gets its welcome, its room and broadcasts', async () => {
  const { host, ws } = await startGuarded();
  try {
    const intruder = connect(ws);
    const member = connect(ws, { authorization: 'Bearer ok' });
    await Promise.all([intruder.opened, member.opened]);
    // While both connect handlers are still running.
    assert.equal((await http('POST', `${host.url}/secret`)).status, 200);
    assert.equal(await intruder.closed, 4401);
    assert.deepEqual(intruder.frames, []);
    // After the member was accepted.
    await new Promise((r) => setTimeout(r, 1300));
    assert.equal((await http('POST', `${host.url}/secret`)).status, 200);
    await eventually('three frames for the member', () => member.frames.length >= 3, { timeoutMs: 5000 }).catch(() => undefined);
    assert.deepEqual(member.frames.map((f) => f.type), ['welcome', 'secret', 'staff']);
    member.socket.close();
  } finally {
    assert.equal(await host.stop(), 0);
  }
});

test('a client that leaves while @OnConnect is still running gets its @OnClose once it was accepted', async () => {
  const { host, ws } = await startGuarded();
  try {
    const member = connect(ws, { authorization: 'Bearer ok' });
    await member.opened;
    member.socket.close(); // during the 1 s connect handler
    await member.closed;
    await host.waitForLog((l) => l.msg === 'close handler ran', 5000);
    // A refused one never was: no @OnClose for it.
    const intruder = connect(ws);
    await intruder.opened;
    assert.equal(await intruder.closed, 4401);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(host.logs().filter((l) => l.msg === 'close handler ran').length, 1);
  } finally {
    assert.equal(await host.stop(), 0);
  }
});
