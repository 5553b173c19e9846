// `jararaca-host [run] --role ...`: load, start the roles, stop on SIGTERM/SIGINT.
import type { Role } from '../core/plugin.ts';
import { Host, type RoleOptions } from '../host.ts';
import { devChild } from './dev-child.ts';
import { ROLE_ENTRIES } from './roles.ts';
import { shutdownDeadlineMs, withShutdownDeadline } from './shutdown-deadline.ts';

export async function run(config: string, roles: Role[], options: RoleOptions): Promise<number> {
  const dev = devChild(); // before any user module loads: `jararaca-host dev` watches them
  const host = await Host.load({ config, roles });
  let stopping = false;
  const stopped = new Promise<number>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        host.logger.warn({ signal }, 'second signal: exiting now');
        process.exit(1);
      }
      stopping = true;
      const deadlineMs = shutdownDeadlineMs(host.service, roles);
      host.logger.info({ signal, deadlineMs }, 'stopping');
      withShutdownDeadline(host.stop(), deadlineMs).then(
        (outcome) => {
          if (outcome === 'deadline') host.logger.error({ code: 'JRR_SHUTDOWN_DEADLINE', deadlineMs }, `not stopped within ${deadlineMs} ms (shutdownTimeoutMs plus the margin): exiting anyway; unsettled messages are redelivered by the broker`);
          resolve(outcome === 'deadline' ? 1 : 0);
        },
        () => resolve(1),
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    dev?.onOrphaned(() => onSignal('SIGTERM'));
  });
  // Dev: the supervisor says when to start (a candidate it drops is stopped while it waits).
  if (dev && (await Promise.race([dev.loaded().then(() => false), stopped.then(() => true)]))) return stopped;
  await host.start(Object.fromEntries(roles.map((r) => [r, (h: Host) => ROLE_ENTRIES[r].start(h, options)])));
  host.logger.info({ roles, pid: process.pid }, `${host.service.name} started`);
  dev?.ready();
  const code = await stopped;
  host.logger.info('stopped');
  return code;
}
