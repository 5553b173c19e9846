// `jararaca-host declare [--config PATH]`: asserts the whole topology of the service — the
// exchanges, every handler's queue with its bindings, dead-letter queue and retry-delay queues —
// without consuming anything, for deploy pipelines (declare first, then roll out the workers).
// Idempotent; a queue that exists with other settings fails with JRR_BUS_TOPOLOGY.
import { parseArgs } from 'node:util';
import { JararacaError, planHandlers, queueSpecs, RoleUnavailableError, TRANSPORT_CAPABILITY, type MessageTransport, type PluginCommand } from 'jararaca';

const USAGE = `Usage: jararaca-host declare [--config PATH]

  Declares the message-bus topology of every message handler (queue, bindings, dead-letter
  queue, retry queues) and the exchanges, consumes nothing, and exits. Safe to run again.
`;

export const declareCommand: PluginCommand = {
  summary: 'assert the message-bus topology (exchanges, queues, bindings) without consuming',
  async run({ argv, io, service, handlers, start }) {
    let parsed;
    try {
      parsed = parseArgs({ args: argv, allowPositionals: false, options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } } });
    } catch (err) {
      io.stderr.write(`jararaca-host declare: ${(err as Error).message}\n\n${USAGE}`);
      return 2;
    }
    if (parsed.values.help) {
      io.stdout.write(USAGE);
      return 0;
    }
    const specs = queueSpecs(planHandlers(service.name, handlers.ofKind('message')));
    const started = await start();
    try {
      const transport = started.capability<MessageTransport>(TRANSPORT_CAPABILITY);
      if (!transport) throw new RoleUnavailableError('JRR_NO_TRANSPORT', 'this service declares no message transport (add the message-bus plugin)');
      if (transport.kind === 'memory') {
        throw new RoleUnavailableError('JRR_DECLARE_IN_PROCESS', 'the service\'s broker is in process (memory://): its queues exist only inside the process that runs the worker. Use an amqp:// broker to declare a topology.');
      }
      await transport.assertTopology(specs);
      for (const spec of specs) io.stdout.write(`${spec.queue} ← ${spec.bindings.join(', ')} (+ ${spec.queue}.dlq, retry queues)\n`);
      io.stderr.write(`declared ${specs.length} handler queue(s)\n`);
      return 0;
    } catch (err) {
      if (err instanceof JararacaError) throw err;
      throw new JararacaError('JRR_DECLARE_FAILED', `declare failed: ${(err as Error).message}`, { cause: err });
    } finally {
      await started.stop();
    }
  },
};
