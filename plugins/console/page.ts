// The console's page: a shell that loads the Preact + htm + uPlot app (assets/console.js) with
// an import map to the libraries the plugin serves from node_modules (no bundler, no
// third-party requests).
import { importMap } from './assets.ts';

export function consolePage(base: string): string {
  const root = base.replace(/\/$/, '');
  const api = JSON.stringify(`${root}/api`);
  const map = JSON.stringify({ imports: importMap(root) }).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en" data-api=${api}><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>jararaca console</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${root}/vendor/uPlot.min.css">
<link rel="stylesheet" href="${root}/assets/console.css">
<script type="importmap">${map}</script>
</head><body>
<div id="app"><p>Loading the console…</p></div>
<noscript>The console needs JavaScript; its JSON API is under ${root}/api.</noscript>
<script type="module" src="${root}/assets/console.js"></script>
</body></html>`;
}
