// `npm run faults`: the fault scenarios of docs/reliability.md at full size, on real servers,
// each cutting a TCP forwarder of its own (the shared PostgreSQL, RabbitMQ and Redis stay up).
// Prints each scenario's figures and a Markdown table; exits 1 when a figure misses its target.
// Not part of `npm test`, which runs a short version of each (test/bus, test/websocket).
// Usage: npm run faults [-- database-outage stuck-shutdown stuck-shutdown-http stuck-shutdown-scheduler redis-outage http-kill broker-outage worker-kill]
import { brokerOutage } from '../test/faults/broker-outage.ts';
import { databaseOutage } from '../test/faults/database-outage.ts';
import { httpKill } from '../test/faults/http-kill.ts';
import { redisOutage } from '../test/faults/redis-outage.ts';
import { stuckShutdown } from '../test/faults/stuck-shutdown.ts';
import { workerKill } from '../test/faults/worker-kill.ts';
import { printFigures } from '../test/faults/support.ts';

type Figures = Record<string, number | string | boolean>;

interface Scenario {
  name: string;
  fault: string;
  run(): Promise<Figures>;
  /** What must hold; the row says "yes" or what failed. */
  holds(f: Figures): string | true;
  summary(f: Figures): string;
}

const scenarios: Scenario[] = [
  {
    name: 'database-outage',
    fault: 'PostgreSQL unreachable 12 s while 300 messages are queued',
    run: () => databaseOutage({ messages: 300, outageMs: 12000 }),
    holds: (f) => (f.deadLettered === 0 && f.handled === 300 && f.extraAttempts === 0 ? true : `dead-lettered ${f.deadLettered}, handled ${f.handled}, extra attempts ${f.extraAttempts}`),
    summary: (f) => `${f.deadLettered} dead-lettered, ${f.handled}/${f.messages} handled, ${f.extraAttempts} attempts used by the outage, not ready during it (${f.notReadyDuringOutage} probes), all done ${(Number(f.catchUpMs) / 1000).toFixed(1)} s after it`,
  },
  {
    name: 'stuck-shutdown',
    fault: 'worker SIGTERM, handler stuck 14 s in a transaction, shutdownTimeoutMs 10000',
    run: () => stuckShutdown({ shutdownTimeoutMs: 10000, stuckMs: 14000 }),
    holds: (f) => (Number(f.exitMs) <= Number(f.shutdownTimeoutMs) + Number(f.marginMs) + 500 && f.requeued === 1 ? true : `exit after ${f.exitMs} ms, requeued ${f.requeued}`),
    summary: (f) => `exited after ${(Number(f.exitMs) / 1000).toFixed(2)} s (deadline ${Number(f.shutdownTimeoutMs) / 1000} s + ${Number(f.marginMs) / 1000} s margin), exit code ${f.exitCode}, the message back in its queue: ${f.requeued === 1 ? 'yes' : 'no'}`,
  },
  ...(['http', 'scheduler'] as const).map((role) => ({
    name: `stuck-shutdown-${role}`,
    fault: `${role} SIGTERM, ${role === 'http' ? 'a request' : 'an action'} stuck 14 s in a transaction, shutdownTimeoutMs 10000`,
    run: () => stuckShutdown({ shutdownTimeoutMs: 10000, stuckMs: 14000, role }),
    holds: (f: Figures) => (Number(f.exitMs) <= Number(f.shutdownTimeoutMs) + Number(f.marginMs) + 500 ? (true as const) : `exit after ${f.exitMs} ms`),
    summary: (f: Figures) => `exited after ${(Number(f.exitMs) / 1000).toFixed(2)} s (deadline ${Number(f.shutdownTimeoutMs) / 1000} s + ${Number(f.marginMs) / 1000} s margin), exit code ${f.exitCode}`,
  })),
  {
    name: 'redis-outage',
    fault: 'Redis unreachable 5 s, one replica sending every 20 ms to a client on another',
    run: () => redisOutage({ outageMs: 5000, sendEveryMs: 20 }),
    holds: (f) => (f.lost === 0 && f.inOrder === true ? true : `lost ${f.lost}, in order ${f.inOrder}`),
    summary: (f) => `${f.lost} of ${f.sent} lost (${f.sentDuringOutage} sent during the outage), in order: ${f.inOrder ? 'yes' : 'no'}, last one ${(Number(f.catchUpMs) / 1000).toFixed(1)} s after Redis returned`,
  },
  {
    name: 'http-kill',
    fault: 'tasks example (outbox, inbox): `kill -9` of the http process 5 times while POST /tasks flows at ~50/s, a worker running',
    run: () => httpKill({ kills: 5, everyMs: 3000, perSecond: 50 }),
    holds: (f) => (f.withoutEvent === 0 && Number(f.committed) > 0 ? true : `${f.withoutEvent} committed tasks without their event`),
    summary: (f) => `${f.withoutEvent} of ${f.committed} committed tasks without their TaskCreated handled (all done ${(Number(f.settleMs) / 1000).toFixed(1)} s after the load); ${f.created} of ${f.posted} POSTs answered 201, ${f.failed} failed at the kills and restarts (${f.committedUnanswered} of those committed)`,
  },
  {
    name: 'broker-outage',
    fault: 'tasks example (outbox, inbox): RabbitMQ unreachable 12 s (longer than the 10 s publish timeout) while POST /tasks runs at ~50/s',
    run: () => brokerOutage({ outageMs: 12000, perSecond: 50, beforeMs: 3000, afterMs: 5000 }),
    holds: (f) => (f.non2xx === 0 && f.notDone === 0 && Number(f.tasks) === Number(f.posted) ? true : `${f.non2xx} non-2xx, ${f.notDone} tasks not done, ${f.tasks} of ${f.posted} stored`),
    summary: (f) => `${f.non2xx} non-2xx of ${f.posted} POSTs (${f.postedDuringOutage} during the outage), ${f.notDone} of ${f.tasks} tasks not done afterwards, the last done ${(Number(f.catchUpMs) / 1000).toFixed(1)} s after the broker returned (${(Number(f.afterMs) / 1000).toFixed(0)} s of it still under load)`,
  },
  {
    name: 'worker-kill',
    fault: 'tasks example (outbox, inbox): 2,000 TaskCreated handled by 2 workers, one killed with `kill -9` every 2 s and restarted',
    run: () => workerKill({ messages: 2000, everyMs: 2000 }),
    holds: (f) => (f.appliedTwice === 0 && f.done === f.messages && f.deadLettered === 0 && Number(f.kills) > 0 ? true : `${f.appliedTwice} applied twice, ${f.done}/${f.messages} done, ${f.deadLettered} dead-lettered, ${f.kills} kills`),
    summary: (f) => `${f.appliedTwice} handler effects applied twice (${f.transitions} committed updates for ${f.messages} tasks), ${f.duplicatesAbsorbed} duplicate deliveries absorbed by the inbox, ${f.done}/${f.messages} done, ${f.deadLettered} dead-lettered, ${f.kills} kills in ${(Number(f.durationMs) / 1000).toFixed(1)} s`,
  },
];

const only = process.argv.slice(2);
const rows: string[] = [];
let failed = 0;
for (const s of scenarios.filter((s) => !only.length || only.includes(s.name))) {
  process.stderr.write(`fault: ${s.name}: ${s.fault}...\n`);
  const started = Date.now();
  try {
    const figures = await s.run();
    printFigures(s.name, figures);
    const ok = s.holds(figures);
    if (ok !== true) failed++;
    rows.push(`| ${s.fault} | ${s.summary(figures)} | ${ok === true ? 'yes' : `**no**: ${ok}`} |`);
  } catch (err) {
    failed++;
    rows.push(`| ${s.fault} | failed to run: ${(err as Error).message.split('\n')[0]} | **no** |`);
  }
  process.stderr.write(`fault: ${s.name} done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}
process.stdout.write(`\n| fault | figures | holds |\n|---|---|---|\n${rows.join('\n')}\n`);
process.exit(failed ? 1 : 0);
