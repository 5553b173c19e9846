// The tasks example in its production shape for the fault scenarios: examples/tasks copied as is
// into a throwaway folder, with only the run's own names changed (service name, hence queues and
// Redis prefix, and the exchange), on a fresh PostgreSQL database of its own, migrated as a
// release step. Outbox and inbox are on (their defaults). A trigger on `tasks` records every
// committed status update in `task_transitions`: the handler's effects, counted from outside.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { freshDatabase } from '../support/database.ts';
import { freePort, repoRoot, runHost, servers, spawnHost, uniqueName, writeService, type SpawnedHost } from '../support/host.ts';
import { deleteBrokerObjects } from '../support/broker.ts';

export interface TasksService {
  config: string;
  name: string;
  exchange: string;
  db: pg.Client;
  env(extra?: { AMQP_URL?: string }): Record<string, string>;
  http(amqpUrl?: string): Promise<SpawnedHost>;
  /** A worker; `ready` waits until it consumes TaskCreated. */
  worker(amqpUrl?: string, ready?: boolean): Promise<SpawnedHost>;
  count(sql: string): Promise<number>;
  close(): Promise<void>;
}

function exampleFiles(dir: string, base = dir): Record<string, string> {
  const files: Record<string, string> = {};
  for (const entry of readdirSync(dir)) {
    const file = path.join(dir, entry);
    if (statSync(file).isDirectory()) Object.assign(files, exampleFiles(file, base));
    else files[path.relative(base, file)] = readFileSync(file, 'utf8');
  }
  return files;
}

export async function startTasksService(prefix: string): Promise<TasksService> {
  const name = uniqueName(prefix).replace(/_/g, '-');
  const exchange = uniqueName(`${prefix}_x`);
  const files = exampleFiles(path.join(repoRoot, 'examples/tasks'));
  const yaml = files['service.yaml'];
  if (!/^name: tasks$/m.test(yaml) || !/url: \$\{AMQP_URL:-memory:\/\/\}\n/.test(yaml)) throw new Error('examples/tasks/service.yaml changed shape: update test/faults/tasks-service.ts');
  files['service.yaml'] = yaml.replace(/^name: tasks$/m, `name: ${name}`).replace(/( +)url: \$\{AMQP_URL:-memory:\/\/\}\n/, (line, indent: string) => `${line}${indent}exchange: ${exchange}\n`);
  const config = path.join(writeService(files), 'service.yaml');
  const database = await freshDatabase(prefix);
  const env = (extra: { AMQP_URL?: string } = {}) => ({ DATABASE_URL: database.url, AMQP_URL: extra.AMQP_URL ?? servers.amqp, REDIS_URL: servers.redis, LOG_LEVEL: 'info' });
  const migrated = await runHost(['migrate', 'latest', '--config', config], { env: env() });
  if (migrated.code !== 0) throw new Error(`migrate failed: ${migrated.stderr}${migrated.stdout}`);
  const db = new pg.Client({ connectionString: database.url });
  await db.connect();
  await db.query(`
    create table task_transitions (n bigserial primary key, task_id uuid not null, status text not null);
    create function record_transition() returns trigger language plpgsql as $$
      begin insert into task_transitions (task_id, status) values (new.id, new.status); return new; end $$;
    create trigger task_transition after update on tasks for each row execute function record_transition();`);
  const hosts: SpawnedHost[] = [];
  return {
    config,
    name,
    exchange,
    db,
    env,
    async http(amqpUrl) {
      const h = await spawnHost(config, { args: ['--role', 'http'], env: env({ AMQP_URL: amqpUrl }), timeoutMs: 60000 });
      hosts.push(h);
      return h;
    },
    async worker(amqpUrl, ready = true) {
      const h = await spawnHost(config, { args: ['--role', 'worker', '--health-port', String(await freePort())], env: env({ AMQP_URL: amqpUrl }), waitReady: false });
      hosts.push(h);
      if (ready) await h.waitForLog((l) => l.msg === 'consuming' && l.handler === 'markDone', 60000);
      return h;
    },
    async count(sql) {
      return Number((await db.query(sql)).rows[0].n);
    },
    async close() {
      await Promise.allSettled(hosts.map((h) => h.stop('SIGKILL')));
      await db.end().catch(() => undefined);
      await deleteBrokerObjects(name, [exchange]).catch(() => undefined);
      await database.drop();
    },
  };
}

/** Every answer of a bounded POST /tasks loop: the status, or 0 for a refused/reset connection. */
export interface PostLoop {
  statuses: number[];
  sent(): number;
  stop(): Promise<number[]>;
}

/** POSTs /tasks to `url()` every 1000/`perSecond` ms without waiting for answers, at most `max` times. */
export function postTasks(url: () => string, perSecond: number, max: number): PostLoop {
  const statuses: number[] = [];
  const inFlight = new Set<Promise<void>>();
  let sent = 0;
  let stopped = false;
  const post = () => {
    const i = sent++;
    const p = fetch(`${url()}/tasks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ title: `fault ${i}` }), signal: AbortSignal.timeout(30000) })
      .then(async (res) => {
        await res.arrayBuffer();
        statuses.push(res.status);
      })
      .catch(() => void statuses.push(0))
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  };
  const timer = setInterval(() => {
    if (stopped || sent >= max) return;
    post();
  }, 1000 / perSecond);
  return {
    statuses,
    sent: () => sent,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await Promise.allSettled([...inFlight]);
      return statuses;
    },
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
