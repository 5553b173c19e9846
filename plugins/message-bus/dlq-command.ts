// `jararaca-host dlq list|requeue|purge --handler NAME [--limit N]`: the dead-letter queue of
// one message handler, through the plugin's own transport (nothing else of the service starts).
import { JararacaError, parseCommandArgs, planHandlers, RoleUnavailableError, TRANSPORT_CAPABILITY, type MessageTransport, type PluginCommand } from 'jararaca';

const USAGE = `Usage: jararaca-host dlq list|requeue|purge --handler NAME [--limit N] [--config PATH]

  list     print up to N dead letters (default 20), leaving them in place
  requeue  move up to N (default all) back to the handler's own queue: each is confirmed by
           the broker before it is removed from the dead-letter queue; attempts start again at 1
  purge    delete N (default all) dead letters
`;

export const dlqCommand: PluginCommand = {
  summary: "list, requeue or purge a message handler's dead-letter queue",
  async run({ argv, io, service, handlers, start }) {
    const args = parseCommandArgs({ name: 'dlq', argv, io, usage: USAGE, actions: ['list', 'requeue', 'purge'], options: { handler: { type: 'string' }, limit: { type: 'string' } } });
    if (typeof args === 'number') return args;
    const { action, values } = args;
    if (!values.handler) {
      io.stderr.write(`jararaca-host dlq: --handler NAME is required\n\n${USAGE}`);
      return 2;
    }
    const limit = values.limit === undefined ? undefined : Number(values.limit);
    if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) {
      io.stderr.write(`jararaca-host dlq: --limit must be a positive integer, got '${values.limit}'\n`);
      return 2;
    }
    const plans = planHandlers(service.name, handlers.ofKind('message'));
    const plan = plans.find((p) => p.name === values.handler);
    if (!plan) {
      throw new RoleUnavailableError('JRR_UNKNOWN_HANDLER', `--handler: no message handler named ${values.handler}; handlers: ${plans.map((p) => p.name).join(', ') || 'none'}`);
    }
    const started = await start();
    try {
      const transport = started.capability<MessageTransport>(TRANSPORT_CAPABILITY);
      const admin = transport?.deadLetters;
      if (!admin) throw new RoleUnavailableError('JRR_NO_TRANSPORT', 'this service declares no message transport with dead-letter queues (add the message-bus plugin)');
      if (transport.kind === 'memory') {
        throw new RoleUnavailableError('JRR_DLQ_IN_PROCESS', `the service's broker is in process (memory://): its dead letters live and die with the process that runs the worker, and no other process can reach them. Use an amqp:// broker to keep and manage dead letters.`);
      }
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
      await started.stop();
    }
  },
};
