// Scenario: POST /tasks flowing (~50/s) while the http process of the tasks example (production
// shape: outbox and inbox on) is killed with SIGKILL and restarted, a worker running. Expected:
// every committed task gets its TaskCreated handled (ends 'done'), however close to its COMMIT
// the kill came; the rows a killed process had not sent are relayed by the next one after their
// lease. Requests in flight at a kill fail (they are counted, and may or may not have committed).
import { postTasks, sleep, startTasksService } from './tasks-service.ts';
import { until } from './support.ts';

export interface HttpKillFigures extends Record<string, number> {
  kills: number;
  posted: number;
  created: number;
  failed: number;
  committed: number;
  /** Committed tasks whose TaskCreated was never handled (not 'done' after the settle period). */
  withoutEvent: number;
  /** Committed while their answer was lost to a kill. */
  committedUnanswered: number;
  settleMs: number;
}

export async function httpKill(options: { kills: number; everyMs: number; perSecond: number }): Promise<HttpKillFigures> {
  const svc = await startTasksService('jrr_fault_httpkill');
  try {
    await svc.worker();
    let web = await svc.http();
    const loop = postTasks(() => web.url, options.perSecond, Math.ceil(((options.kills + 1) * (options.everyMs + 10000) * options.perSecond) / 1000));
    for (let k = 0; k < options.kills; k++) {
      await sleep(options.everyMs);
      web.child.kill('SIGKILL');
      await web.exited;
      web = await svc.http();
    }
    await sleep(options.everyMs);
    const statuses = await loop.stop();
    const committed = await svc.count('select count(*) as n from tasks');
    const settleStart = Date.now();
    // The default lease is 30 s: rows a killed relay had claimed wait that long.
    await until('every task done', async () => (await svc.count("select count(*) as n from tasks where status <> 'done'")) === 0, 120000, 500).catch(() => undefined);
    const created = statuses.filter((s) => s === 201).length;
    return {
      kills: options.kills,
      posted: loop.sent(),
      created,
      failed: statuses.filter((s) => s !== 201).length,
      committed,
      withoutEvent: await svc.count("select count(*) as n from tasks where status <> 'done'"),
      committedUnanswered: committed - created,
      settleMs: Date.now() - settleStart,
    };
  } finally {
    await svc.close();
  }
}
