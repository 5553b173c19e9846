// The console's page. For now a plain page over the JSON API (no libraries, no third-party
// requests); the Preact + htm + uPlot page replaces it once those packages are installed.
export function consolePage(base: string): string {
  const api = JSON.stringify(`${base.replace(/\/$/, '')}/api`);
  return `<!doctype html>
<html lang="en" data-api=${api}><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>jararaca console</title>
<style>body{font:14px system-ui,sans-serif;margin:1.5rem;color:#1c2430}table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.3rem .6rem;border-bottom:1px solid #dde}button{margin-right:.3rem}.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}</style>
</head><body>
<header><h1>jararaca console</h1><p id="me" aria-live="polite"></p></header>
<main>
<section aria-labelledby="scheduled-h"><h2 id="scheduled-h">Scheduled actions</h2>
<table><thead><tr><th scope="col">Action</th><th scope="col">Cron</th><th scope="col">Time zone</th><th scope="col">Next</th><th scope="col">Last run</th><th scope="col">State</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead><tbody id="actions"></tbody></table>
</section>
<section aria-labelledby="history-h"><h2 id="history-h">History</h2><p id="history-of"></p><table><thead><tr><th scope="col">Slot</th><th scope="col">Trigger</th><th scope="col">Outcome</th><th scope="col">Lag (ms)</th><th scope="col">Duration (ms)</th><th scope="col">Replica</th></tr></thead><tbody id="runs"></tbody></table></section>
</main>
<script type="module" src="${base.replace(/\/$/, '')}/assets/console.js"></script>
</body></html>`;
}
