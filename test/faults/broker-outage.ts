// Scenario: the tasks example (production shape: outbox and inbox on), its http and worker
// processes reaching RabbitMQ through a forwarder of their own, which is cut for longer than
// the publish timeout while POST /tasks runs at ~50/s. Expected: every POST answers 2xx (the
// event waits in the outbox), and every task is done once the broker is back.
import { servers } from '../support/host.ts';
import { targetOf, TcpForwarder } from '../support/tcp-forwarder.ts';
import { until } from './support.ts';
import { postTasks, sleep, startTasksService } from './tasks-service.ts';

export interface BrokerOutageFigures extends Record<string, number> {
  outageMs: number;
  /** Load kept up after the restore. */
  afterMs: number;
  posted: number;
  postedDuringOutage: number;
  non2xx: number;
  tasks: number;
  /** Tasks not done after the broker returned and the settle period. */
  notDone: number;
  /** From the forwarder's restore to the last task done. */
  catchUpMs: number;
}

export async function brokerOutage(options: { outageMs: number; perSecond: number; beforeMs: number; afterMs: number }): Promise<BrokerOutageFigures> {
  const forwarder = await TcpForwarder.start(targetOf(servers.amqp));
  const svc = await startTasksService('jrr_fault_broker');
  const amqpUrl = forwarder.rewrite(servers.amqp);
  try {
    await svc.worker(amqpUrl);
    const web = await svc.http(amqpUrl);
    const total = Math.ceil(((options.beforeMs + options.outageMs + options.afterMs) * options.perSecond) / 1000);
    const loop = postTasks(() => web.url, options.perSecond, total);
    await sleep(options.beforeMs);
    forwarder.cut();
    const sentBefore = loop.sent();
    await sleep(options.outageMs);
    forwarder.restore();
    const restoredAt = Date.now();
    const postedDuringOutage = loop.sent() - sentBefore;
    await sleep(options.afterMs);
    const statuses = await loop.stop();
    const notDone = () => svc.count("select count(*) as n from tasks where status <> 'done'");
    await until('every task done', async () => (await notDone()) === 0, 90000, 500).catch(() => undefined);
    return {
      outageMs: options.outageMs,
      afterMs: options.afterMs,
      posted: loop.sent(),
      postedDuringOutage,
      non2xx: statuses.filter((s) => s < 200 || s > 299).length,
      tasks: await svc.count('select count(*) as n from tasks'),
      notDone: await notDone(),
      catchUpMs: Date.now() - restoredAt,
    };
  } finally {
    await svc.close();
    await forwarder.close();
  }
}
