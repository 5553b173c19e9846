// A handler that ignores its signal and ends after its timeout must not commit or publish: its
// message was already retried (or its scheduled run recorded as failed), so a late success
// would do the work twice. Checked for a bus message and a scheduled action, with a plugin
// that records commit/rollback the way a session plugin would.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { http, spawnHost, writeService } from '../support/host.ts';

const ledger = `
import { definePlugin } from 'jararaca';
// Inner layer standing in for a database session: "commits" when next() resolves.
export default definePlugin({
  name: 'ledger',
  setup(ctx) {
    return {
      async intercept(execution, next) {
        try {
          const value = await next();
          ctx.logger.info({ handler: execution.handler.name }, 'ledger commit');
          return value;
        } catch (err) {
          ctx.logger.info({ handler: execution.handler.name, reason: err.message }, 'ledger rollback');
          throw err;
        }
      },
    };
  },
});
`;

const controller = `
import { defineMessage, MessageBusController, MessageHandler, Post, RestController, ScheduledAction, useExecution } from 'jararaca';
import { usePublisher } from 'jararaca/message-bus';
export const Slow = defineMessage({ name: 'Slow', topic: 'slow.work', kind: 'task', schema: { type: 'object' } as const });
export const Side = defineMessage({ name: 'Side', topic: 'slow.side', kind: 'event', schema: { type: 'object' } as const });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

@RestController('/')
@MessageBusController()
export class SlowWork {
  @Post('/start') async start() { usePublisher().publish(Slow, {}); return { ok: true }; }

  // Ignores ctx.signal on purpose: finishes 600 ms after its 200 ms timeout.
  @MessageHandler(Slow, { name: 'slow', timeoutMs: 200, retry: { maxAttempts: 1 } })
  async slow() { await sleep(800); usePublisher().publish(Side, {}); }

  @MessageHandler(Side, { name: 'side' })
  async side() { useExecution().logger.info('side effect received'); }

  @ScheduledAction('* * * * * *', { name: 'tick', timeoutMs: 200, overlap: 'allow' })
  async tick() { await sleep(500); usePublisher().publish(Side, {}); }
}
`;

test('a message handler and a scheduled action that end after their timeout roll back and publish nothing', async () => {
  const dir = writeService({
    'ledger.ts': ledger,
    'slow.ts': controller,
    'service.yaml': `name: timeouts
interceptors:
  - use: message-bus
    with: { url: "memory://" }
  - use: ./ledger.ts
controllers: [./slow.ts]
`,
  });
  const host = await spawnHost(path.join(dir, 'service.yaml'), { args: ['--role', 'all'] });
  try {
    assert.equal((await http('POST', `${host.url}/start`)).status, 200);
    await host.waitForLog((l) => l.msg === 'ledger rollback' && l.handler === 'SlowWork.slow', 10000);
    await host.waitForLog((l) => l.msg === 'ledger rollback' && l.handler === 'SlowWork.tick', 10000);
    // Long enough for a late publish to have been delivered.
    await new Promise((r) => setTimeout(r, 1500));
    const logs = host.logs();
    assert.equal(logs.filter((l) => l.msg === 'ledger commit' && (l.handler === 'SlowWork.slow' || l.handler === 'SlowWork.tick')).length, 0, 'no late commit');
    assert.equal(logs.filter((l) => l.msg === 'side effect received').length, 0, 'no late publish');
    assert.ok(logs.some((l) => l.msg === 'ledger commit' && l.handler === 'SlowWork.start'), 'the HTTP execution itself committed');
  } finally {
    assert.equal(await host.stop(), 0);
  }
});
