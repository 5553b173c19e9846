import path from 'node:path';
import { startOnce } from './startup.ts';
import { freePort, hostBin, median, repoRoot } from './support.ts';
const [role = 'http', n = '5', ...extra] = process.argv.slice(2);
const rs = [];
for (let i = 0; i < Number(n); i++) {
  const port = await freePort();
  const args = role === 'base'
    ? ['--import', 'tsx', path.join(repoRoot, 'bench/fixtures/startup/bare-fastify.ts')]
    : [...extra, hostBin, '--config', path.join(repoRoot, 'bench/fixtures/startup/service.yaml'), '--role', role, ...(role === 'http' ? ['--port'] : ['--health-port']), String(port)];
  rs.push(await startOnce(args, role === 'base' ? '/hello' : '/health/ready', port, role === 'base' ? { PORT: String(port), TSX_TSCONFIG_PATH: path.join(repoRoot, 'bench/fixtures/startup/baseline.tsconfig.json') } : {}));
}
const k = (key: 'wallMs' | 'cpuMs' | 'rssMb') => median(rs.map((r) => r[key])).toFixed(0);
console.log(`${role}: wall ${k('wallMs')} cpu ${k('cpuMs')} rss ${k('rssMb')}  cpu runs: ${rs.map((r) => r.cpuMs.toFixed(0)).join(' ')}`);
