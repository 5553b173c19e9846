// After tsc (`npm run build`): a few modules of dist/ are replaced by one-file bundles of what
// they re-export from libraries. Each library stays a dependency, used as published; what changes
// is how many files a process loads at start. A module costs ~0.5 ms to resolve, read and
// evaluate (about twice that under tsx, which lexes each), and the OpenTelemetry metrics SDK is
// ~170 of them: ~0.15 s of a start that, bundled, is ~0.05 s. From source (--conditions=source,
// the repository's own tests) the re-exports load the packages themselves.
//
// A bundle is only for libraries the framework keeps to itself (none of their values cross into
// user code) and that nothing else in a service's process loads: yaml, say, would gain nothing,
// since @fastify/swagger requires it too, and the process would load both.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Source modules of re-exports; each one's dist/ file is replaced by its bundle. */
const BUNDLES = ['plugins/metrics/otel.ts'];

// Bundled CommonJS still calls require() for Node's built-ins; ESM has no require of its own.
const requireShim = "import { createRequire as __jararacaCreateRequire } from 'node:module';\nconst require = __jararacaCreateRequire(import.meta.url);";

/** `name@version (license)` of every package a bundle took code from, for its header. */
function packagesOf(metafile) {
  const found = new Map();
  for (const input of Object.keys(metafile.inputs)) {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (!match || found.has(match[1])) continue;
    const dir = input.slice(0, input.indexOf(match[1]) + match[1].length);
    const pkg = JSON.parse(readFileSync(path.join(root, dir, 'package.json'), 'utf8'));
    found.set(match[1], `${pkg.name}@${pkg.version} (${pkg.license ?? 'see its package'})`);
  }
  return [...found.values()].sort();
}

for (const source of BUNDLES) {
  const outfile = path.join(root, 'dist', source.replace(/\.ts$/, '.js'));
  const banner = `// Bundled by scripts/bundle.mjs from ${source} (the packages it holds are listed at the end).\n${requireShim}`;
  const result = await build({ entryPoints: [path.join(root, source)], bundle: true, outfile, write: false, metafile: true, platform: 'node', format: 'esm', target: 'node22', mainFields: ['module', 'main'], banner: { js: banner }, sourcemap: true, legalComments: 'eof', logLevel: 'warning' });
  const footer = `// Holds: ${packagesOf(result.metafile).join(', ')}. Each one's license is in its folder under node_modules.\n`;
  for (const file of result.outputFiles) {
    // The list goes before the source map's comment, which stays last; nothing above it moves.
    writeFileSync(file.path, file.path.endsWith('.js') ? file.text.replace(/(\/\/# sourceMappingURL=[^\n]*\n?)$/, `${footer}$1`) : file.contents);
  }
}
