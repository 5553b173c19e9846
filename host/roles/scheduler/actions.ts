// The service's @ScheduledAction handlers, checked (cron, time zone, options, unique names) and
// turned into ActionConfigs. Mistakes are reported like declaration mistakes: all at once, exit 2.
import { RoleUnavailableError } from '../../core/errors.ts';
import type { HandlerInfo } from '../../core/execution.ts';
import type { Host } from '../../host.ts';
import { selectByName } from '../../runtime/name-filter.ts';
import { CronError, isValidTimezone, parseCron } from './cron.ts';
import type { ScheduledActionSpec } from './decorator.ts';
import type { ActionConfig } from './scheduler.ts';

export interface ResolvedAction extends ActionConfig {
  handler: HandlerInfo;
}

const OVERLAPS = ['skip', 'allow', 'buffer-one'];
const CATCH_UPS = ['none', 'latest'];

/** Every scheduled action of the service (only those named in `only`, when given). */
export function resolveActions(host: Host, only?: readonly string[]): ResolvedAction[] {
  const decl = host.declaration;
  const settings = host.service.scheduler ?? {};
  let defaultZone = settings.timezone ?? 'UTC';
  if (!isValidTimezone(defaultZone)) {
    decl.report(['scheduler', 'timezone'], `unknown time zone '${defaultZone}': use an IANA name such as 'UTC' or 'Europe/Berlin'`);
    defaultZone = 'UTC';
  }
  const actions: ResolvedAction[] = [];
  const names = new Map<string, string>();
  for (const handler of host.handlers.ofKind('scheduled')) {
    const spec = handler.spec;
    const name = spec.name ?? handler.name;
    const problem = (message: string) => decl.report(['controllers'], `scheduled action '${name}' (${handler.name}): ${message}`);
    const before = decl.problems.length;
    if (names.has(name)) problem(`the name is also used by ${names.get(name)}; give one of them another { name }`);
    names.set(name, handler.name);
    if (spec.overlap !== undefined && !OVERLAPS.includes(spec.overlap)) problem(`overlap must be one of ${OVERLAPS.join(', ')}, got '${spec.overlap}'`);
    if (spec.catchUp !== undefined && !CATCH_UPS.includes(spec.catchUp)) problem(`catchUp must be one of ${CATCH_UPS.join(', ')}, got '${spec.catchUp}'`);
    if (spec.timeoutMs !== undefined && !(Number.isInteger(spec.timeoutMs) && spec.timeoutMs > 0)) problem(`timeoutMs must be a positive integer, got ${String(spec.timeoutMs)}`);
    let schedule;
    try {
      schedule = parseCron(spec.cron, spec.timezone ?? defaultZone);
    } catch (err) {
      if (!(err instanceof CronError)) throw err;
      problem(err.message);
    }
    if (!schedule || decl.problems.length > before) continue;
    actions.push({
      name,
      handler,
      schedule,
      overlap: spec.overlap ?? 'skip',
      exclusive: spec.exclusive ?? true,
      timeoutMs: spec.timeoutMs,
      catchUp: spec.catchUp ?? 'none',
    });
  }
  decl.throwIfProblems();
  return selectByName(
    actions,
    only,
    (a) => a.name,
    (unknown, known) =>
      new RoleUnavailableError(
        'JRR_UNKNOWN_ACTION',
        `--actions names ${unknown.map((n) => `'${n}'`).join(', ')}, which ${unknown.length === 1 ? 'is not a scheduled action' : 'are not scheduled actions'} of this service (actions: ${known.join(', ') || 'none'})`,
      ),
  );
}

/** `jararaca-host validate`: the actions, their schedules and next fire times (role.ts adds the lock). */
export function describeScheduledActions(host: Host, now = Date.now()): string[] {
  const actions = resolveActions(host);
  if (!actions.length) return [];
  const lines = [`scheduled actions (${actions.length}):`];
  for (const a of actions) {
    const nexts: string[] = [];
    for (let t = a.schedule.next(now); t !== undefined && nexts.length < 3; t = a.schedule.next(t)) nexts.push(new Date(t).toISOString());
    const flags = [a.exclusive ? 'exclusive' : 'every replica', `overlap ${a.overlap}`, ...(a.timeoutMs ? [`timeout ${a.timeoutMs} ms`] : []), ...(a.catchUp !== 'none' ? [`catch-up ${a.catchUp}`] : [])];
    lines.push(`  ${a.name}  '${a.schedule.expression}' ${a.schedule.timezone}  ${flags.join(', ')}  next: ${nexts.join(', ') || 'never'}`);
  }
  return lines;
}

