// Shared by scheduler-postgres.test.ts and scheduler-redis.test.ts: three real `jararaca-host
// --role scheduler` processes on one service, an action every second that records each fire
// (slot, pid) in the backend under test, and a kill -9 of one replica mid-run.
import assert from 'node:assert/strict';
import { freePort, spawnHost, type SpawnedHost } from '../support/host.ts';
import { eventually } from '../support/eventually.ts';

export interface Fire {
  slot: number;
  pid: number;
}

export interface ReplicaRun {
  fires: Fire[];
  killedPid: number;
  killedAt: number;
  stoppedAt: number;
  exitCodes: Array<number | null>;
  replicas: SpawnedHost[];
}

const started = (line: Record<string, unknown>) => typeof line.msg === 'string' && line.msg.startsWith('scheduler started');

/** Starts three replicas, waits for fires, kills one with SIGKILL, lets the others run, stops them. */
export async function runThreeReplicas(options: {
  config: string;
  env: Record<string, string>;
  /** Reads every recorded fire so far. */
  readFires(): Promise<Fire[]>;
  /** Seconds of fires before and after the kill. */
  beforeKillS?: number;
  afterKillS?: number;
}): Promise<ReplicaRun> {
  const replicas: SpawnedHost[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      replicas.push(await spawnHost(options.config, { args: ['--role', 'scheduler', '--health-port', String(await freePort())], waitReady: false, env: options.env }));
    }
    await Promise.all(replicas.map((r) => r.waitForLog(started, 30_000)));
    const firstCommon = Date.now();
    await waitUntil(async () => (await options.readFires()).filter((f) => f.slot > firstCommon).length >= (options.beforeKillS ?? 5), 30_000);
    const victim = replicas[0];
    const killedPid = victim.child.pid!;
    const killedAt = Date.now();
    await victim.stop('SIGKILL');
    await waitUntil(async () => (await options.readFires()).filter((f) => f.slot > killedAt).length >= (options.afterKillS ?? 7), 30_000);
    const stoppedAt = Date.now();
    const exitCodes = await Promise.all(replicas.slice(1).map((r) => r.stop('SIGTERM')));
    return { fires: await options.readFires(), killedPid, killedAt, stoppedAt, exitCodes, replicas };
  } finally {
    await Promise.all(replicas.map((r) => r.stop('SIGKILL')));
  }
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  await eventually('fires', check, { timeoutMs, intervalMs: 200 });
}

/** The lease TTL of the scheduler: a replica killed while running holds its lease this long. */
const LEASE_TTL_MS = 5000;

/**
 * Every slot fired at most once; every slot from the first to shortly before the stop fired
 * exactly once, except around the kill: the slot the victim had claimed when it died, and, if it
 * died while running, the slots until its running lease expired.
 */
export function assertExactlyOnce(run: ReplicaRun): void {
  const counts = new Map<number, number>();
  for (const f of run.fires) counts.set(f.slot, (counts.get(f.slot) ?? 0) + 1);
  const twice = [...counts].filter(([, n]) => n > 1).map(([s, n]) => `${new Date(s).toISOString()} ×${n}`);
  assert.deepEqual(twice, [], 'no slot fired more than once');
  const slots = [...counts.keys()].sort((a, b) => a - b);
  assert.ok(slots.length >= 10, `at least 10 slots fired (got ${slots.length})`);
  const missing: string[] = [];
  const lastChecked = run.stoppedAt - 1000;
  for (let s = slots[0]; s < lastChecked; s += 1000) {
    const nearKill = s >= run.killedAt - 1000 && s <= run.killedAt + LEASE_TTL_MS + 1000;
    if (!counts.has(s) && !nearKill) missing.push(new Date(s).toISOString());
  }
  assert.deepEqual(missing, [], 'every slot away from the kill fired exactly once');
  const afterKill = run.fires.filter((f) => f.slot > run.killedAt + LEASE_TTL_MS + 1000);
  assert.ok(afterKill.length >= 1, 'slots after the kill were fired');
  assert.ok(afterKill.every((f) => f.pid !== run.killedPid), 'by the surviving replicas');
  assert.deepEqual(run.exitCodes, [0, 0], 'the survivors stopped cleanly on SIGTERM');
}
