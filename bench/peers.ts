// The http bench's peer frameworks (NestJS 12 on Fastify) live in bench/peers/ with their own
// package.json and package-lock.json: they are not jararaca's dependencies, and are installed
// into bench/peers/node_modules (gitignored) the first time a bench needs them.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { repoRoot, type BenchOptions } from './support.ts';

export const peersDir = path.join(repoRoot, 'bench/peers');

/** Installs bench/peers/ (`npm ci`, from its lock file) unless it is installed already. */
export function ensurePeers(options: BenchOptions, tag: string): void {
  if (existsSync(path.join(peersDir, 'node_modules/@nestjs/platform-fastify/package.json'))) return;
  options.log(`${tag}: installing the bench's peers (NestJS 12 on Fastify) into bench/peers/node_modules: npm ci --prefix bench/peers (once)`);
  const result = spawnSync('npm', ['ci', '--prefix', peersDir, '--no-audit', '--no-fund'], { cwd: repoRoot, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${tag}: npm ci --prefix bench/peers failed:\n${result.stdout}${result.stderr}`);
}
