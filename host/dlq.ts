// `jararaca-host dlq list|requeue|purge --handler NAME [--limit N]`: the dead-letter queue of
// one message handler, through the same transport the worker uses.
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { CliIO } from './cli.ts';
import { JararacaError, RoleUnavailableError } from './errors.ts';
import { Host } from './host.ts';
import { selectPlans, transportOf } from './worker.ts';

const USAGE = `Usage: jararaca-host dlq list|requeue|purge --handler NAME [--limit N] [--config PATH]

  list     print up to N dead letters (default 20), leaving them in place
  requeue  move up to N (default all) back to the handler's own queue: each is confirmed by
           the broker before it is removed from the dead-letter queue; attempts start again at 1
  purge    delete N (default all) dead letters
`;

export const dlqCommand = {
  summary: 'list, requeue or purge a message handler\'s dead-letter queue',
  async run(argv: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { config: { type: 'string', short: 'c' }, handler: { type: 'string' }, limit: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
    const action = positionals[0];
    if (values.help || !action) {
      (values.help ? io.stdout : io.stderr).write(USAGE);
      return values.help ? 0 : 2;
    }
    if (!['list', 'requeue', 'purge'].includes(action) || !values.handler) {
      io.stderr.write(`jararaca-host dlq: ${values.handler ? `unknown action '${action}'` : '--handler NAME is required'}\n\n${USAGE}`);
      return 2;
    }
    const limit = values.limit === undefined ? undefined : Number(values.limit);
    if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) {
      io.stderr.write(`jararaca-host dlq: --limit must be a positive integer, got '${values.limit}'\n`);
      return 2;
    }
    const config = path.resolve(values.config ?? 'service.yaml');
    const host = await Host.load({ config, roles: [] });
    const [plan] = selectPlans(host, [values.handler]);
    await host.start({});
    try {
      const admin = transportOf(host)?.deadLetters;
      if (!admin) throw new RoleUnavailableError('JRR_NO_TRANSPORT', 'this service declares no message transport with dead-letter queues (add the message-bus plugin)');
      if (action === 'list') {
        const letters = await admin.list(plan.queue, limit ?? 20);
        io.stdout.write(letters.map((l) => JSON.stringify(l)).join('\n') + (letters.length ? '\n' : ''));
        io.stderr.write(`${letters.length} dead letter(s) shown from ${plan.queue}.dlq\n`);
      } else if (action === 'requeue') {
        const n = await admin.requeue(plan.queue, limit ?? Number.MAX_SAFE_INTEGER);
        io.stdout.write(`requeued ${n} message(s) from ${plan.queue}.dlq to ${plan.queue}\n`);
      } else {
        const n = await admin.purge(plan.queue, limit);
        io.stdout.write(`purged ${n} message(s) from ${plan.queue}.dlq\n`);
      }
      return 0;
    } catch (err) {
      if (err instanceof JararacaError) throw err;
      throw new JararacaError('JRR_DLQ_FAILED', `dlq ${action} failed: ${(err as Error).message}`, { cause: err });
    } finally {
      await host.stop();
    }
  },
};
