// The scheduler core with a controlled clock: slots, time zones and DST, overlap policies,
// catch-up, timeout, pauses, shutdown. No real time passes.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Clock } from '../../host/roles/scheduler/clock.ts';
import { parseCron, CronError } from '../../host/roles/scheduler/cron.ts';
import { MemoryLock } from '../../host/roles/scheduler/memory-lock.ts';
import { TimeoutAbort } from '../../host/runtime/abort.ts';
import { Scheduler, type ActionConfig, type FireRecord, type SchedulerOptions } from '../../host/roles/scheduler/scheduler.ts';

class FakeClock implements Clock {
  #t: number;
  #timers = new Map<number, { at: number; fn: () => void }>();
  #id = 0;
  constructor(start: string | number) {
    this.#t = typeof start === 'number' ? start : Date.parse(start);
  }
  now = () => this.#t;
  setTimer = (fn: () => void, ms: number) => {
    const id = ++this.#id;
    this.#timers.set(id, { at: this.#t + Math.max(0, ms), fn });
    return id;
  };
  clearTimer = (handle: unknown) => void this.#timers.delete(handle as number);
  sleep = (ms: number) => new Promise<void>((resolve) => this.setTimer(resolve, ms));
  /** Moves time forward, running due timers in order and letting promises settle after each. */
  async advance(ms: number): Promise<void> {
    const target = this.#t + ms;
    for (;;) {
      await settle();
      const [id, next] = [...this.#timers].filter(([, t]) => t.at <= target).sort((a, b) => a[1].at - b[1].at || a[0] - b[0])[0] ?? [];
      if (!next) break;
      this.#timers.delete(id!);
      this.#t = Math.max(this.#t, next.at);
      next.fn();
    }
    this.#t = target;
    await settle();
  }
  /** Moves time without running timers, as when the process is paused. */
  jump(ms: number): void {
    this.#t += ms;
  }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
}

const quiet = { info() {}, warn() {}, error() {}, debug() {} };

function action(cron: string, options: Partial<Omit<ActionConfig, 'schedule'>> & { timezone?: string } = {}): ActionConfig {
  return { name: options.name ?? 'job', schedule: parseCron(cron, options.timezone), overlap: options.overlap ?? 'skip', exclusive: options.exclusive ?? true, timeoutMs: options.timeoutMs, catchUp: options.catchUp ?? 'none' };
}

function setup(clock: FakeClock, actions: ActionConfig[], run: SchedulerOptions['run'], extra: Partial<SchedulerOptions> = {}) {
  const records: FireRecord[] = [];
  const warnings: string[] = [];
  const scheduler = new Scheduler({
    actions,
    run,
    clock,
    lock: extra.lock ?? new MemoryLock(clock),
    logger: { ...quiet, warn: (_o, msg) => warnings.push(msg) },
    onFire: (r) => records.push(r),
    ...extra,
  });
  return { scheduler, records, warnings };
}

/** stop() waits on the fake clock: keep time moving until it returns. */
async function stopWithin(clock: FakeClock, scheduler: Scheduler, timeoutMs: number): Promise<void> {
  let done = false;
  const stopped = scheduler.stop(timeoutMs).then(() => (done = true));
  for (let i = 0; i < 100 && !done; i++) await clock.advance(Math.max(100, timeoutMs / 10));
  await stopped;
}

const iso = (t: number) => new Date(t).toISOString();
const slotsOf = (records: FireRecord[], outcome?: string) => records.filter((r) => !outcome || r.outcome === outcome).map((r) => iso(r.slot).slice(11, 23));

describe('cron expressions', () => {
  test('6 fields are seconds first, 5 fields start at the minute', () => {
    const every5s = parseCron('*/5 * * * * *');
    assert.equal(iso(every5s.next(Date.parse('2024-01-01T00:00:10.000Z'))!), '2024-01-01T00:00:15.000Z');
    assert.equal(iso(every5s.next(Date.parse('2024-01-01T00:00:09.999Z'))!), '2024-01-01T00:00:10.000Z');
    assert.equal(iso(every5s.latest(Date.parse('2024-01-01T00:00:10.000Z'))!), '2024-01-01T00:00:10.000Z');
    const hourly = parseCron('15 * * * *');
    assert.equal(iso(hourly.next(Date.parse('2024-01-01T00:20:00Z'))!), '2024-01-01T01:15:00.000Z');
  });

  test('invalid expressions and time zones are rejected with what to change', () => {
    for (const bad of ['* * *', 'bad', '61 * * * *', '* * * * * * *', '', '0 0 31 2 *']) {
      assert.throws(() => parseCron(bad), CronError, bad);
    }
    assert.throws(() => parseCron('* * * *'), /has 4 fields: write 5 .* or 6 with seconds first/);
    assert.throws(() => parseCron('* * * * *', 'Mars/Olympus'), /unknown time zone 'Mars\/Olympus'/);
  });

  test('time zones: 09:00 in New York is 13:00 UTC in summer and 14:00 UTC in winter', () => {
    const nine = parseCron('0 9 * * *', 'America/New_York');
    assert.equal(iso(nine.next(Date.parse('2024-07-01T00:00:00Z'))!), '2024-07-01T13:00:00.000Z');
    assert.equal(iso(nine.next(Date.parse('2024-12-01T00:00:00Z'))!), '2024-12-01T14:00:00.000Z');
  });

  test('DST in Europe/Berlin: a skipped 02:30 fires once, shifted; a repeated 02:30 fires once', () => {
    const at0230 = parseCron('30 2 * * *', 'Europe/Berlin');
    const spring: string[] = [];
    for (let t = at0230.next(Date.parse('2024-03-29T12:00:00Z')); spring.length < 4; t = at0230.next(t!)) spring.push(iso(t!));
    assert.deepEqual(spring, ['2024-03-30T01:30:00.000Z', '2024-03-31T01:30:00.000Z', '2024-04-01T00:30:00.000Z', '2024-04-02T00:30:00.000Z']);
    const autumn: string[] = [];
    for (let t = at0230.next(Date.parse('2024-10-25T12:00:00Z')); autumn.length < 4; t = at0230.next(t!)) autumn.push(iso(t!));
    assert.deepEqual(autumn, ['2024-10-26T00:30:00.000Z', '2024-10-27T00:30:00.000Z', '2024-10-28T01:30:00.000Z', '2024-10-29T01:30:00.000Z']);
    // Every 30 minutes keeps firing every 30 real minutes through the repeated hour.
    const half = parseCron('0 */30 * * * *', 'Europe/Berlin');
    const through: number[] = [];
    for (let t = half.next(Date.parse('2024-10-27T00:00:00Z')); through.length < 5; t = half.next(t!)) through.push(t!);
    assert.deepEqual(through.slice(1).map((t, i) => t - through[i]), [1800000, 1800000, 1800000, 1800000]);
  });
});

describe('scheduler core', () => {
  test('fires each slot once, giving the handler its slot, fire time and signal', async () => {
    const clock = new FakeClock('2024-01-01T00:00:00.500Z');
    const seen: Array<{ slot: string; firedAt: string; signal: boolean }> = [];
    const { scheduler, records } = setup(clock, [action('* * * * * *')], async (_a, fire) => {
      seen.push({ slot: iso(fire.slot.getTime()), firedAt: iso(fire.firedAt.getTime()), signal: fire.signal instanceof AbortSignal });
    });
    scheduler.start();
    await clock.advance(3600);
    await stopWithin(clock, scheduler, 1000);
    assert.deepEqual(seen, [
      { slot: '2024-01-01T00:00:01.000Z', firedAt: '2024-01-01T00:00:01.000Z', signal: true },
      { slot: '2024-01-01T00:00:02.000Z', firedAt: '2024-01-01T00:00:02.000Z', signal: true },
      { slot: '2024-01-01T00:00:03.000Z', firedAt: '2024-01-01T00:00:03.000Z', signal: true },
      { slot: '2024-01-01T00:00:04.000Z', firedAt: '2024-01-01T00:00:04.000Z', signal: true },
    ]);
    assert.deepEqual(records.map((r) => r.outcome), ['ok', 'ok', 'ok', 'ok']);
    await clock.advance(5000);
    assert.equal(seen.length, 4, 'no fires after stop');
  });

  test('a slot at exactly the start time fires; a time zone moves the slots', async () => {
    const clock = new FakeClock('2024-07-01T12:59:59.000Z');
    const { scheduler, records } = setup(clock, [action('0 9 * * *', { timezone: 'America/New_York' })], async () => {});
    scheduler.start();
    await clock.advance(2000);
    await stopWithin(clock, scheduler, 0);
    assert.deepEqual(records.map((r) => iso(r.slot)), ['2024-07-01T13:00:00.000Z']);
  });

  test('a daily action fires once a day across DST changes (New York and Berlin, spring and fall)', async () => {
    // Driven through the scheduler (timers capped at an hour, woken in the repeated hour), not
    // only through the cron chain: latest(now) would fire the repeated 01:30 twice at fall-back
    // and miss the skipped 02:30 at spring-forward.
    const cases: Array<[string, string, string, string[]]> = [
      ['30 1 * * *', 'America/New_York', '2024-11-02T12:00:00Z', ['2024-11-03T05:30:00.000Z', '2024-11-04T06:30:00.000Z', '2024-11-05T06:30:00.000Z']],
      ['30 2 * * *', 'America/New_York', '2024-03-09T12:00:00Z', ['2024-03-10T07:30:00.000Z', '2024-03-11T06:30:00.000Z', '2024-03-12T06:30:00.000Z']],
      ['30 2 * * *', 'Europe/Berlin', '2024-03-30T12:00:00Z', ['2024-03-31T01:30:00.000Z', '2024-04-01T00:30:00.000Z', '2024-04-02T00:30:00.000Z']],
      ['30 2 * * *', 'Europe/Berlin', '2024-10-26T12:00:00Z', ['2024-10-27T00:30:00.000Z', '2024-10-28T01:30:00.000Z', '2024-10-29T01:30:00.000Z']],
    ];
    for (const [cron, timezone, start, expected] of cases) {
      const clock = new FakeClock(start);
      const { scheduler, records, warnings } = setup(clock, [action(cron, { timezone })], async () => {});
      scheduler.start();
      await clock.advance(3 * 86400_000);
      await stopWithin(clock, scheduler, 0);
      assert.deepEqual(records.map((r) => iso(r.slot)), expected, `${cron} ${timezone} from ${start}`);
      assert.deepEqual(warnings, [], 'no slot counted as missed');
    }
  });

  test('replicas sharing a lock fire each slot exactly once in total', async () => {
    const clock = new FakeClock('2024-01-01T00:00:00.100Z');
    const lock = new MemoryLock(clock);
    const runsBy = [0, 0, 0];
    const replicas = [0, 1, 2].map((i) => setup(clock, [action('* * * * * *')], async () => void runsBy[i]++, { lock }));
    for (const r of replicas) r.scheduler.start();
    await clock.advance(10_000);
    for (const r of replicas) await stopWithin(clock, r.scheduler, 0);
    const all = replicas.flatMap((r) => r.records);
    assert.equal(all.length, 10);
    assert.equal(new Set(all.map((r) => r.slot)).size, 10);
    assert.equal(runsBy.reduce((a, b) => a + b), 10);
  });

  test('non-exclusive actions fire on every replica', async () => {
    const clock = new FakeClock('2024-01-01T00:00:00.100Z');
    const lock = new MemoryLock(clock);
    let runs = 0;
    const replicas = [0, 1].map(() => setup(clock, [action('* * * * * *', { exclusive: false })], async () => void runs++, { lock }));
    for (const r of replicas) r.scheduler.start();
    await clock.advance(3000);
    for (const r of replicas) await stopWithin(clock, r.scheduler, 0);
    assert.equal(runs, 6);
  });

  test('a replica cannot fire a slot older than one already fired', async () => {
    const clock = new FakeClock(0);
    const lock = new MemoryLock(clock);
    assert.equal(await lock.claim('job', 2000), true);
    assert.equal(await lock.claim('job', 2000), false);
    assert.equal(await lock.claim('job', 1000), false, 'a late replica waking up for slot 1000');
    assert.equal(await lock.claim('other', 1000), true, 'per action');
  });

  test('overlap skip: slots that come while the previous run is running are skipped', async () => {
    const clock = new FakeClock('2024-01-01T00:00:00.500Z');
    const { scheduler, records } = setup(clock, [action('* * * * * *')], () => clock.sleep(2500));
    scheduler.start();
    await clock.advance(6100);
    await stopWithin(clock, scheduler, 10_000);
    assert.deepEqual(slotsOf(records, 'ok'), ['00:00:01.000', '00:00:04.000']);
    assert.deepEqual(slotsOf(records, 'skipped'), ['00:00:02.000', '00:00:03.000', '00:00:05.000', '00:00:06.000']);
    assert.match(records.find((r) => r.outcome === 'skipped')!.reason!, /previous run is still running/);
  });

  test('overlap allow: runs overlap', async () => {
    const clock = new FakeClock('2024-01-01T00:00:00.500Z');
    let running = 0;
    let most = 0;
    const { scheduler, records } = setup(clock, [action('* * * * * *', { overlap: 'allow' })], async () => {
      most = Math.max(most, ++running);
      await clock.sleep(2500);
      running--;
    });
    scheduler.start();
    await clock.advance(5000);
    await stopWithin(clock, scheduler, 10_000);
    assert.equal(most, 3);
    assert.equal(records.filter((r) => r.outcome === 'skipped').length, 0);
  });

  test('overlap buffer-one: one slot waits and runs right after; more are skipped', async () => {
    const clock = new FakeClock('2024-01-01T00:00:00.500Z');
    const { scheduler, records } = setup(clock, [action('* * * * * *', { overlap: 'buffer-one' })], () => clock.sleep(2500), { bufferPollMs: 50 });
    scheduler.start();
    await clock.advance(4000);
    await stopWithin(clock, scheduler, 10_000);
    const ok = records.filter((r) => r.outcome === 'ok');
    assert.deepEqual(slotsOf(records, 'ok'), ['00:00:01.000', '00:00:02.000']);
    // The buffered slot started as soon as the first run ended (3.5 s), within one poll.
    assert.ok(ok[1].firedAt! >= Date.parse('2024-01-01T00:00:03.500Z') && ok[1].firedAt! <= Date.parse('2024-01-01T00:00:03.550Z'), iso(ok[1].firedAt!));
    // Slot 3 found the buffered place taken; slot 4 took it once slot 2 left it, and was still
    // waiting when the scheduler stopped.
    assert.deepEqual(
      records.filter((r) => r.outcome === 'skipped').map((r) => [iso(r.slot).slice(11, 23), r.reason]),
      [
        ['00:00:03.000', 'a run is already buffered'],
        ['00:00:04.000', 'the scheduler is stopping'],
      ],
    );
  });

  test('timeout: the signal aborts, the run is recorded as timed out, the next slot is not blocked', async () => {
    const clock = new FakeClock('2024-01-01T00:00:00.500Z');
    const signals: AbortSignal[] = [];
    const { scheduler, records } = setup(clock, [action('* * * * * *', { timeoutMs: 300 })], (_a, fire) => {
      signals.push(fire.signal);
      return new Promise(() => {}); // ignores its signal: the scheduler must not wait for it
    });
    scheduler.start();
    await clock.advance(2000);
    await stopWithin(clock, scheduler, 0);
    assert.deepEqual(records.map((r) => [iso(r.slot).slice(11, 23), r.outcome, r.durationMs]), [
      ['00:00:01.000', 'timeout', 300],
      ['00:00:02.000', 'timeout', 300],
    ]);
    assert.ok(signals.every((s) => s.aborted && s.reason instanceof TimeoutAbort && s.reason.code === 'JRR_TIMEOUT'));
  });

  test('a failing run is recorded and the next slot still fires', async () => {
    const clock = new FakeClock('2024-01-01T00:00:00.500Z');
    const { scheduler, records } = setup(clock, [action('* * * * * *')], async (_a, fire) => {
      if (fire.slot.getSeconds() === 1) throw new Error('boom');
    });
    scheduler.start();
    await clock.advance(2000);
    await stopWithin(clock, scheduler, 0);
    assert.deepEqual(records.map((r) => r.outcome), ['failed', 'ok']);
    assert.equal((records[0].err as Error).message, 'boom');
  });

  test('catch-up none: a slot missed while stopped is not fired; latest: it fires once at start', async () => {
    for (const catchUp of ['none', 'latest'] as const) {
      const clock = new FakeClock('2024-01-01T10:00:30.000Z');
      const { scheduler, records } = setup(clock, [action('0 * * * *', { catchUp })], async () => {});
      scheduler.start();
      await clock.advance(1000);
      await stopWithin(clock, scheduler, 0);
      if (catchUp === 'none') assert.deepEqual(records, []);
      else assert.deepEqual(records.map((r) => [iso(r.slot), r.outcome, r.catchUp]), [['2024-01-01T10:00:00.000Z', 'ok', true]]);
    }
  });

  test('catch-up latest does not fire a slot another replica already fired', async () => {
    const clock = new FakeClock('2024-01-01T10:00:30.000Z');
    const lock = new MemoryLock(clock);
    await lock.claim('job', Date.parse('2024-01-01T10:00:00.000Z'));
    const { scheduler, records } = setup(clock, [action('0 * * * *', { catchUp: 'latest' })], async () => {}, { lock });
    scheduler.start();
    await clock.advance(1000);
    await stopWithin(clock, scheduler, 0);
    assert.deepEqual(records, []);
  });

  test('slots missed while the process was paused collapse into the latest', async () => {
    const clock = new FakeClock('2024-01-01T00:00:00.500Z');
    const { scheduler, records, warnings } = setup(clock, [action('* * * * * *')], async () => {});
    scheduler.start();
    await clock.advance(1000); // slot 1
    clock.jump(4200); // paused from 1.5 s to 5.7 s: slots 2..5 passed
    await clock.advance(0);
    await stopWithin(clock, scheduler, 0);
    assert.deepEqual(slotsOf(records), ['00:00:01.000', '00:00:05.000']);
    assert.ok(warnings.some((w) => /missed while the process was paused/.test(w)));
  });

  test('stop: no new fires; running ones finish within the timeout, then are aborted; leases released', async () => {
    const clock = new FakeClock('2024-01-01T00:00:00.500Z');
    const lock = new MemoryLock(clock);
    let aborted: unknown;
    const { scheduler, records } = setup(
      clock,
      [action('* * * * * *')],
      (_a, fire) =>
        new Promise<void>((resolve, reject) => {
          clock.setTimer(resolve, 10_000);
          fire.signal.addEventListener('abort', () => reject((aborted = fire.signal.reason)));
        }),
      { lock },
    );
    scheduler.start();
    await clock.advance(600); // the 1 s slot runs
    const stopped = scheduler.stop(2000);
    await clock.advance(1999);
    assert.equal(aborted, undefined, 'still within shutdownTimeoutMs');
    await clock.advance(1);
    await stopped;
    assert.ok((aborted as unknown) instanceof Error);
    assert.deepEqual(records.map((r) => [r.outcome, r.reason]), [['aborted', 'aborted at shutdown']]);
    assert.ok(await lock.acquire('run:job', 1000), 'the running lease was released');
  });

  test('stop waits for a run that finishes in time', async () => {
    const clock = new FakeClock('2024-01-01T00:00:00.500Z');
    const { scheduler, records } = setup(clock, [action('* * * * * *')], () => clock.sleep(1500));
    scheduler.start();
    await clock.advance(600);
    await stopWithin(clock, scheduler, 5000);
    assert.deepEqual(records.map((r) => r.outcome), ['ok']);
  });
});
