// After tsc (`npm run build`, `prepare`), two changes to dist/ that make a process start sooner.
// Both matter most under tsx (a user's tests, `jararaca-host dev`), which lexes every module it
// loads and turns on source maps, so Node reads and parses each module's map as it loads it.
//
// 1. A few modules are replaced by one-file bundles of what they re-export from libraries. Each
//    library stays a dependency, used as published; what changes is how many files a process
//    loads: a module costs ~0.5 ms to resolve, read and evaluate (about twice that under tsx), and
//    the OpenTelemetry metrics SDK is ~170 of them (~0.3 s under tsx, ~0.1 s as one). From source
//    (--conditions=source, the repository's own tests) the re-exports load the packages.
//    Only for libraries the framework keeps to itself (none of their values cross into user
//    code) and that nothing else in a service's process loads: yaml, say, would gain nothing,
//    since @fastify/swagger requires it too, and the process would load both.
// 2. Generated modules (ajv's standalone validators) lose their source maps: a map of generated
//    code to generated code helps no one, and theirs are ~0.2 MB to parse at every start.
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');

/** Source modules of re-exports; each one's dist/ file is replaced by its bundle. */
const BUNDLES = ['plugins/metrics/otel.ts'];

// Bundled CommonJS still calls require() for Node's built-ins; ESM has no require of its own.
const requireShim = "import { createRequire as __jararacaCreateRequire } from 'node:module';\nconst require = __jararacaCreateRequire(import.meta.url);";

/** `name@version (license)` of every package a bundle took code from, for its header. */
function packagesOf(metafile) {
  const found = new Map();
  for (const input of Object.keys(metafile.inputs)) {
    // The innermost node_modules/: a copy nested under another package is a package of its own.
    const match = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (!match || found.has(match[1])) continue;
    const dir = match[1];
    const pkg = JSON.parse(readFileSync(path.join(root, dir, 'package.json'), 'utf8'));
    found.set(dir, `${pkg.name}@${pkg.version} (${pkg.license ?? 'see its package'})`);
  }
  return [...found.values()].sort();
}

/** Removes a built module's source map and the comment that points at it. */
function dropSourceMap(file) {
  writeFileSync(file, readFileSync(file, 'utf8').replace(/\n\/\/# sourceMappingURL=[^\n]*\n?$/, '\n'));
  rmSync(`${file}.map`, { force: true });
}

for (const source of BUNDLES) {
  const outfile = path.join(dist, source.replace(/\.ts$/, '.js'));
  // Without a map: it would be ~1.4 MB to parse, for code that is the packages' own.
  const result = await build({ entryPoints: [path.join(root, source)], bundle: true, write: false, metafile: true, platform: 'node', format: 'esm', target: 'node22', mainFields: ['module', 'main'], legalComments: 'eof', logLevel: 'warning' });
  const header = `// Bundled by scripts/post-build.mjs from ${source}. Holds: ${packagesOf(result.metafile).join(', ')}.\n// Each one's license is in its folder under node_modules.\n${requireShim}\n`;
  writeFileSync(outfile, header + result.outputFiles[0].text);
  rmSync(`${outfile}.map`, { force: true }); // tsc's, of the re-exports
}

for (const entry of readdirSync(dist, { recursive: true })) {
  if (entry.endsWith('.generated.js')) dropSourceMap(path.join(dist, entry));
}
