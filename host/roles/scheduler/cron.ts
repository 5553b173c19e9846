// Cron expressions → exact slot instants, in a time zone. cron-parser does the calendar work
// (Luxon under the hood, so DST is handled: a local time skipped by a spring-forward fires at
// the shifted instant once, an hour repeated by a fall-back fires once).
import { createRequire } from 'node:module';
import type { CronExpressionParser as Parser } from 'cron-parser';
import { JararacaError } from '../../core/errors.ts';

export class CronError extends JararacaError {
  constructor(message: string) {
    super('JRR_CRON_INVALID', message);
  }
}

export interface CronSchedule {
  readonly expression: string;
  readonly timezone: string;
  /** The first slot strictly after `after` (epoch ms), or undefined when there is none. */
  next(after: number): number | undefined;
  /** The latest slot at or before `atOrBefore` (epoch ms), or undefined. */
  latest(atOrBefore: number): number | undefined;
}

export function isValidTimezone(timezone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    return true;
  } catch {
    return false;
  }
}

// croniter (the Python original) reads a sixth field as seconds at the END; here seconds come
// first. '* * * * * */5' there is "every 5 seconds", here "every second on Sundays and Fridays".
// A line of that shape (every second, but a step or value in the day-of-week field) is what a
// port of the original looks like and almost never what a seconds-first line means: refused,
// with the line to write instead.
function refuseSecondsLast(expression: string, fields: string[]): void {
  const [seconds, ...rest] = fields;
  const last = rest[4];
  if (seconds !== '*' || last === '*' || last === '?') return;
  const rewritten = [last, ...rest.slice(0, 4), '*'].join(' ');
  throw new CronError(
    `'${expression}' looks like a seconds-LAST line (croniter, the Python original): here the first of six fields is the seconds, ` +
      `so it means "every second, on day-of-week ${last}". To port the original's meaning (seconds ${last}) write '${rewritten}' (seconds first); ` +
      `for every second on those days write '0-59 ${rest.join(' ')}'`,
  );
}

// cron-parser (with luxon) is loaded on the first parse, not by every `import 'jararaca'`: a
// service without scheduled actions never pays its 20–60 ms. It is CommonJS, so require() keeps
// parseCron synchronous.
let parser: typeof Parser | undefined;
function cronParser(): typeof Parser {
  return (parser ??= (createRequire(import.meta.url)('cron-parser') as { CronExpressionParser: typeof Parser }).CronExpressionParser);
}

/** Parses and checks `expression` (5 or 6 fields, seconds first). Throws CronError saying what is wrong. */
export function parseCron(expression: string, timezone = 'UTC'): CronSchedule {
  if (typeof expression !== 'string') throw new CronError(`the cron expression must be a string, got ${typeof expression}`);
  const fields = expression.trim().split(/\s+/).filter(Boolean);
  // cron-parser fills missing fields with '*', so '* * *' would silently mean every minute.
  if (!expression.trim().startsWith('@') && fields.length !== 5 && fields.length !== 6) {
    throw new CronError(`'${expression}' has ${fields.length} field${fields.length === 1 ? '' : 's'}: write 5 (minute hour day-of-month month day-of-week) or 6 with seconds first ('*/5 * * * * *')`);
  }
  if (fields.length === 6) refuseSecondsLast(expression, fields);
  if (!isValidTimezone(timezone)) throw new CronError(`unknown time zone '${timezone}': use an IANA name such as 'UTC' or 'Europe/Berlin'`);
  const make = (currentDate: number) => cronParser().parse(expression, { currentDate, tz: timezone });
  let probe;
  try {
    probe = make(Date.UTC(2000, 0, 1));
    probe.next(); // some mistakes only show when a date is computed
  } catch (err) {
    throw new CronError(`'${expression}' is not a valid cron expression: ${(err as Error).message}`);
  }
  const step = (from: number, forward: boolean): number | undefined => {
    try {
      const e = make(from);
      return (forward ? e.next() : e.prev()).getTime();
    } catch {
      return undefined; // no further occurrence
    }
  };
  return {
    expression,
    timezone,
    next: (after) => step(after, true),
    // cron-parser's prev() is strictly before; asking from 1 ms later makes it "at or before".
    latest: (atOrBefore) => step(atOrBefore + 1, false),
  };
}
