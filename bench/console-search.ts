// The console's dead-letter search over 100,000 indexed dead letters (issue 15: under 200 ms on
// this machine). A script, not a test: seeds a fresh database with the console's index table
// (the plugin's own code creates it and writes the rows), then times searches the page makes.
//   node --conditions=source --import tsx bench/console-search.ts [--rows 100000] [--runs 20]
import { parseArgs } from 'node:util';
import knex from 'knex';
import pg from 'pg';
import pino from 'pino';
import { DeadLetterIndex } from '../plugins/console/dead-letter-index.ts';

const { values } = parseArgs({ options: { rows: { type: 'string', default: '100000' }, runs: { type: 'string', default: '20' } } });
const rows = Number(values.rows);
const runs = Number(values.runs);
const base = process.env.DATABASE_URL ?? 'postgres://jararaca:jararaca@127.0.0.1:5432/jararaca';
const database = `jrr_bench_console_${process.pid}`;
const url = new URL(base);
url.pathname = `/${database}`;

const admin = new pg.Client({ connectionString: base });
await admin.connect();
await admin.query(`CREATE DATABASE ${database}`);
const db = knex({ client: 'pg', connection: url.toString(), pool: { min: 1, max: 4 } });
try {
  const index = new DeadLetterIndex(db, 'bench', pino({ level: 'warn' }));
  const queue = 'bench.orders';
  const errors = ['upstream timeout after 3000 ms', 'invalid address: no such street', 'card declined (insufficient funds)', 'deadlock detected', 'tenant suspended'];
  const t0 = performance.now();
  const now = Date.now();
  const letters = Array.from({ length: rows }, (_, i) => ({
    messageId: `m-${i}`,
    name: 'Placed',
    topic: 'orders.placed',
    error: `${errors[i % errors.length]} (order ${i})`,
    attempts: 5,
    failedAt: new Date(now - i * 1000).toISOString(),
    body: JSON.stringify({ id: `order-${i}`, customer: `customer-${i % 977}`, lines: [{ sku: `sku-${i % 313}`, qty: (i % 7) + 1 }], note: 'x'.repeat(i % 200) }),
    headers: { 'x-jrr-attempts': 5 },
  }));
  await index.rebuild(queue, letters);
  await db.raw(`ANALYZE ${'jararaca_console_dead_letters'}`);
  console.log(`seeded ${rows} dead letters in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const searches: Array<[string, Parameters<DeadLetterIndex['search']>[1]]> = [
    ['first page, no filter', {}],
    ['error text "card declined"', { error: 'card declined' }],
    ['message id', { messageId: 'm-54321' }],
    ['time range (1 hour)', { from: now - 7_200_000, to: now - 3_600_000 }],
    ['payload content "customer-42"', { body: 'customer-42"' }],
    ['error + payload', { error: 'timeout', body: 'sku-7"' }],
    ['nothing matches', { body: 'no-such-thing' }],
  ];
  console.log('\n| search | matches | median ms | max ms |\n|---|---|---|---|');
  for (const [what, q] of searches) {
    const times: number[] = [];
    let total = 0;
    for (let i = 0; i < runs; i++) {
      const s = performance.now();
      total = (await index.search(queue, q, 50, 0)).total;
      times.push(performance.now() - s);
    }
    times.sort((a, b) => a - b);
    console.log(`| ${what} | ${total} | ${times[Math.floor(times.length / 2)].toFixed(1)} | ${times[times.length - 1].toFixed(1)} |`);
  }
} finally {
  await db.destroy();
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin.end();
}
