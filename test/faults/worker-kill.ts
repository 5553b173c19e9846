// Scenario: 2,000 TaskCreated messages for the tasks example (production shape: outbox and
// inbox on) handled by two workers, one of them killed with SIGKILL every 2 s and restarted.
// The example's handler (markDone) is an UPDATE, so its effect is counted from outside: a trigger
// records every committed status update of a task (tasks-service.ts). Expected: nothing lost,
// no task updated twice; the copies the broker redelivers after a kill (handled, not yet acked)
// are acked by the inbox without running the handler.
import { queueDepth, publishRaw, until } from './support.ts';
import { sleep, startTasksService } from './tasks-service.ts';
import type { SpawnedHost } from '../support/host.ts';

export interface WorkerKillFigures extends Record<string, number> {
  messages: number;
  kills: number;
  done: number;
  /** Tasks whose handler effect (a committed update) happened more than once. */
  appliedTwice: number;
  transitions: number;
  /** Redelivered copies the inbox acked without running the handler (log lines of every worker). */
  duplicatesAbsorbed: number;
  deadLettered: number;
  durationMs: number;
}

export async function workerKill(options: { messages: number; everyMs: number }): Promise<WorkerKillFigures> {
  const svc = await startTasksService('jrr_fault_wkill');
  const workers: SpawnedHost[] = [];
  try {
    const live = [await svc.worker(), await svc.worker()];
    workers.push(...live);
    const ids = (await svc.db.query(`insert into tasks (id, title, status) select gen_random_uuid(), 'fault ' || i, 'pending' from generate_series(1, $1) i returning id`, [options.messages])).rows.map((r: { id: string }) => r.id);
    const started = Date.now();
    await publishRaw(svc.exchange, 'tasks.created', 'TaskCreated', ids.map((id) => ({ id })));
    const done = () => svc.count("select count(*) as n from tasks where status = 'done'");
    let kills = 0;
    // Bounded: at most 90 kills (3 min); stops once every task is done.
    while (kills < 90 && (await done()) < options.messages) {
      await sleep(options.everyMs);
      const i = kills % live.length;
      live[i].child.kill('SIGKILL');
      await live[i].exited;
      kills++;
      live[i] = await svc.worker(undefined, false);
      workers.push(live[i]);
    }
    await until('every task done', async () => (await done()) === options.messages, 60000, 200).catch(() => undefined);
    const durationMs = Date.now() - started;
    // Let redeliveries of the last kill arrive and be settled.
    await sleep(3000);
    return {
      messages: options.messages,
      kills,
      done: await done(),
      appliedTwice: await svc.count('select count(*) as n from (select task_id from task_transitions group by task_id having count(*) > 1) t'),
      transitions: await svc.count('select count(*) as n from task_transitions'),
      duplicatesAbsorbed: workers.reduce((n, w) => n + w.logs().filter((l) => typeof l.msg === 'string' && l.msg.startsWith('inbox: this message was already handled')).length, 0),
      deadLettered: (await queueDepth(`${svc.name}.markDone.dlq`)) ?? -1,
      durationMs,
    };
  } finally {
    await svc.close();
  }
}
