// Scenario: Redis (the WebSocket backend) unreachable — a forwarder cut — while one replica
// keeps sending broadcasts to a client connected to another. Expected: within the outage
// buffer's bound, the client receives every message, in order, once Redis is back.
import path from 'node:path';
import { rmSync } from 'node:fs';
import { http, servers, spawnHost, uniqueName } from '../support/host.ts';
import { targetOf, TcpForwarder } from '../support/tcp-forwarder.ts';
import { TestClient, writeWsService } from '../websocket/websocket-suite.ts';

export interface RedisOutageFigures extends Record<string, number | boolean> {
  outageMs: number;
  sent: number;
  sentDuringOutage: number;
  received: number;
  lost: number;
  inOrder: boolean;
  /** From the forwarder's restore to the last message received. */
  catchUpMs: number;
}

export async function redisOutage(options: { outageMs: number; sendEveryMs: number }): Promise<RedisOutageFigures> {
  const forwarder = await TcpForwarder.start(targetOf(servers.redis));
  const config = writeWsService({ url: forwarder.rewrite(servers.redis), prefix: `${uniqueName('wsfault')}:`, reconnectMaxDelayMs: 300 });
  const [receiver, sender] = await Promise.all([0, 1].map(() => spawnHost(config, { args: ['--role', 'http'], env: { LOG_LEVEL: 'warn' } })));
  const client = await TestClient.connect(receiver.url);
  try {
    let sent = 0;
    let sentDuringOutage = 0;
    const send = async () => {
      const n = sent++;
      const res = await http('POST', `${sender.url}/send/broadcast`, { type: 'seq', data: { n } });
      if (res.status !== 204) throw new Error(`send ${n} answered ${res.status}`);
    };
    for (let i = 0; i < 10; i++) await send();
    forwarder.cut();
    const end = Date.now() + options.outageMs;
    while (Date.now() < end) {
      await send();
      sentDuringOutage++;
      await new Promise((r) => setTimeout(r, options.sendEveryMs));
    }
    forwarder.restore();
    const restoredAt = Date.now();
    for (let i = 0; i < 10; i++) await send();
    const got: number[] = [];
    let last = restoredAt;
    while (got.length < sent) {
      let frame;
      try {
        frame = await client.next(10000);
      } catch {
        break; // nothing more is coming: the rest was lost
      }
      if (frame.type === 'seq') {
        got.push((frame.data as { n: number }).n);
        last = Date.now();
      }
    }
    return {
      outageMs: options.outageMs,
      sent,
      sentDuringOutage,
      received: got.length,
      lost: sent - new Set(got).size,
      inOrder: got.every((n, i) => i === 0 || n > got[i - 1]),
      catchUpMs: Math.max(0, last - restoredAt),
    };
  } finally {
    client.close();
    await Promise.all([receiver.stop(), sender.stop()]);
    await forwarder.close();
    rmSync(path.dirname(config), { recursive: true, force: true });
  }
}
