// The console page: Preact + htm (no bundler) and uPlot, over the JSON API under <path>/api.
// Pages by the URL's hash: overview, handlers, dead letters, scheduled, WebSocket, routes. A
// viewer gets no action buttons (the API would answer 403 anyway).
import { h, render } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import htm from 'htm';
import uPlot from 'uplot';

const html = htm.bind(h);
const api = document.documentElement.dataset.api;

async function call(path, init) {
  const res = await fetch(api + path, init && init.body ? { ...init, headers: { 'content-type': 'application/json' }, body: JSON.stringify(init.body) } : init);
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(body.message || res.status + ' ' + res.statusText);
  return body;
}

/** Loads `path` now and every `everyMs`; returns [data, error, reload]. */
function useApi(path, everyMs = 5000) {
  const [state, setState] = useState({ data: undefined, error: undefined });
  const load = useCallback(() => call(path).then((data) => setState({ data, error: undefined }), (error) => setState((s) => ({ data: s.data, error: error.message }))), [path]);
  useEffect(() => {
    load();
    if (!everyMs) return undefined;
    const t = setInterval(load, everyMs);
    return () => clearInterval(t);
  }, [load, everyMs]);
  return [state.data, state.error, load];
}

const when = (t) => (t ? new Date(t).toLocaleString() : '—');
const duration = (ms) => {
  const s = Math.floor(ms / 1000);
  if (s < 60) return s + ' s';
  if (s < 3600) return Math.floor(s / 60) + ' min ' + (s % 60) + ' s';
  if (s < 86400) return Math.floor(s / 3600) + ' h ' + Math.floor((s % 3600) / 60) + ' min';
  return Math.floor(s / 86400) + ' d ' + Math.floor((s % 86400) / 3600) + ' h';
};
const COLORS = { ok: '#1b7a3a', failed: '#b3261e', acked: '#1b7a3a', retried: '#c77700', deadLettered: '#b3261e' };

/** A small uPlot chart of `chart` ({ t: [...s], name: [...] }) for the named series. */
function Chart({ chart, names, label }) {
  const box = useRef(null);
  const plot = useRef(null);
  useEffect(() => {
    if (!box.current || !chart) return undefined;
    const data = [chart.t, ...names.map((n) => chart[n])];
    if (!plot.current) {
      const opts = {
        width: Math.max(300, box.current.clientWidth || 400),
        height: 140,
        legend: { show: true },
        scales: { x: { time: true } },
        axes: [{}, { size: 40 }],
        series: [{}, ...names.map((n) => ({ label: n, stroke: COLORS[n] || '#1f5fbf', width: 1.5, fill: (COLORS[n] || '#1f5fbf') + '22' }))],
      };
      plot.current = new uPlot(opts, data, box.current);
    } else plot.current.setData(data);
    return undefined;
  }, [chart]);
  useEffect(() => () => plot.current && plot.current.destroy(), []);
  return html`<div ref=${box} role="img" aria-label=${label}></div>`;
}

function Loading({ error }) {
  return error ? html`<p class="error" role="alert">${error}</p>` : html`<p>Loading…</p>`;
}

/** An in-page confirmation: resolves true when the user confirms. */
function useConfirm() {
  const [ask, setAsk] = useState(null);
  const dialog = useRef(null);
  useEffect(() => {
    if (ask && dialog.current && !dialog.current.open) dialog.current.showModal();
  }, [ask]);
  const confirm = (text, verb) => new Promise((resolve) => setAsk({ text, verb, resolve }));
  const close = (yes) => {
    dialog.current && dialog.current.close();
    ask.resolve(yes);
    setAsk(null);
  };
  const view = ask
    ? html`<dialog ref=${dialog} aria-labelledby="confirm-text" onCancel=${() => close(false)}>
        <p id="confirm-text">${ask.text}</p>
        <button type="button" class="primary" onClick=${() => close(true)}>${ask.verb}</button>
        <button type="button" onClick=${() => close(false)}>Cancel</button>
      </dialog>`
    : null;
  return [confirm, view];
}

function Overview() {
  const [data, error] = useApi('/overview');
  if (!data) return html`<${Loading} error=${error} />`;
  return html`<section aria-labelledby="processes-h">
      <h2 id="processes-h">Processes of ${data.service} <small>(heartbeats in ${data.store})</small></h2>
      <table>
        <thead><tr><th scope="col">Role</th><th scope="col">Replica</th><th scope="col">Version</th><th scope="col">Up for</th><th scope="col">Ready</th><th scope="col">Last seen</th></tr></thead>
        <tbody>
          ${Object.entries(data.roles).flatMap(([role, procs]) =>
            procs.length
              ? procs.map((p) => html`<tr><td>${role}</td><td>${p.replica}</td><td>${p.version}</td><td>${duration(p.uptimeMs)}</td><td class=${p.ready ? 'ok' : 'bad'}>${p.ready ? 'ready' : 'not ready' + (p.detail ? ': ' + p.detail : '')}</td><td>${when(p.seenAt)}</td></tr>`)
              : [html`<tr><td>${role}</td><td colspan="5">no process seen</td></tr>`],
          )}
        </tbody>
      </table>
    </section>
    <section aria-labelledby="throughput-h">
      <h2 id="throughput-h">Throughput and errors per kind (last 15 minutes, all replicas)</h2>
      ${data.executions.length ? '' : html`<p>No executions yet.</p>`}
      <div class="cards">
        ${data.executions.map(
          (e) => html`<div class="card">
            <h3>${e.kind}</h3>
            <p class="stats">${e.perMinute} per minute · errors ${(e.errorRate * 100).toFixed(1)} % · mean ${e.meanMs ?? '—'} ms</p>
            <${Chart} chart=${e.chart} names=${['ok', 'failed']} label=${e.kind + ' executions per 10 seconds, ok and failed'} />
          </div>`,
        )}
      </div>
    </section>`;
}

function Handlers() {
  const [data, error] = useApi('/handlers');
  if (!data) return html`<${Loading} error=${error} />`;
  const n = (v) => (v === null || v === undefined ? '—' : v);
  return html`<section aria-labelledby="handlers-h">
      <h2 id="handlers-h">Message handlers (${data.transport || 'no transport'})</h2>
      <table>
        <thead><tr><th scope="col">Handler</th><th scope="col">Queue</th><th scope="col" class="num">Depth</th><th scope="col" class="num">Consumers</th><th scope="col" class="num">In flight</th><th scope="col" class="num">Per minute</th><th scope="col" class="num">Retries (1 h)</th><th scope="col" class="num">Dead-lettered (1 h)</th><th scope="col" class="num">Dead letters</th></tr></thead>
        <tbody>
          ${data.handlers.map(
            (x) => html`<tr><td>${x.name}</td><td>${x.queue}${x.error ? html`<br /><span class="error">${x.error}</span>` : ''}</td><td class="num">${n(x.depth)}</td><td class="num">${n(x.consumers)}</td><td class="num">${x.inFlight}</td><td class="num">${x.perMinute}</td><td class="num">${x.lastHour.retried}</td><td class="num">${x.lastHour.deadLettered}</td><td class="num"><a href=${'#dead-letters?handler=' + encodeURIComponent(x.name)}>${n(x.deadLetterQueue)}</a></td></tr>`,
          )}
        </tbody>
      </table>
      <div class="cards">
        ${data.handlers.map(
          (x) => html`<div class="card"><h3>${x.name}: last hour</h3><${Chart} chart=${x.chart} names=${['acked', 'retried', 'deadLettered']} label=${x.name + ': acknowledged, retried and dead-lettered per 10 seconds'} /></div>`,
        )}
      </div>
    </section>
    <section aria-labelledby="outbox-h">
      <h2 id="outbox-h">Outbox</h2>
      ${data.outbox.length
        ? html`<table><thead><tr><th scope="col">Replica</th><th scope="col">Connection</th><th scope="col" class="num">Pending</th><th scope="col" class="num">Lag (ms)</th><th scope="col">At</th></tr></thead>
            <tbody>${data.outbox.map((o) => html`<tr><td>${o.replica}</td><td>${o.connection}</td><td class="num">${o.pending}</td><td class="num">${o.lagMs}</td><td>${when(o.at)}</td></tr>`)}</tbody></table>`
        : html`<p>No outbox relay reported (no outbox, or no process runs one).</p>`}
    </section>`;
}

const PAGE = 50;

function DeadLetters({ me, params }) {
  const [handlers] = useApi('/handlers', 0);
  const [handler, setHandler] = useState(params.get('handler') || '');
  const [filter, setFilter] = useState({ error: '', messageId: '', body: '', from: '', to: '' });
  const [applied, setApplied] = useState({});
  const [offset, setOffset] = useState(0);
  const [result, setResult] = useState(null);
  const [error, setError] = useState(null);
  const [selected, setSelected] = useState(new Set());
  const [viewing, setViewing] = useState(null);
  const [status, setStatus] = useState('');
  const [confirm, confirmView] = useConfirm();
  const operator = me.role === 'operator';

  useEffect(() => {
    if (!handler && handlers && handlers.handlers.length) setHandler(handlers.handlers[0].name);
  }, [handlers]);

  const query = (f) => {
    const q = {};
    for (const [k, v] of Object.entries(f)) if (v) q[k] = k === 'from' || k === 'to' ? new Date(v).toISOString() : v;
    return q;
  };
  const load = useCallback(async () => {
    if (!handler) return;
    try {
      const qs = new URLSearchParams({ handler, limit: String(PAGE), offset: String(offset), ...applied });
      setResult(await call('/dead-letters?' + qs));
      setError(null);
    } catch (err) {
      setError(err.message);
    }
  }, [handler, applied, offset]);
  useEffect(() => {
    load();
  }, [load]);

  const search = (ev) => {
    ev.preventDefault();
    setSelected(new Set());
    setOffset(0);
    setApplied(query(filter));
  };
  const toggle = (id) => {
    const next = new Set(selected);
    next.has(id) ? next.delete(id) : next.add(id);
    setSelected(next);
  };
  const act = async (action, which) => {
    const count = which === 'selected' ? selected.size : result.total;
    const verb = action === 'requeue' ? 'Requeue' : 'Purge';
    const what = which === 'selected' ? count + ' selected dead letter(s)' : 'all ' + count + ' dead letter(s) matching the search';
    if (!(await confirm(verb + ' ' + what + ' of ' + handler + '?' + (action === 'purge' ? ' They are deleted for good.' : ' They go back to the handler\u2019s queue.'), verb))) return;
    try {
      const body = which === 'selected' ? { handler, messageIds: [...selected] } : { handler, filter: applied };
      const r = await call('/dead-letters/' + action, { method: 'POST', body });
      setStatus((action === 'requeue' ? 'Requeued ' + r.requeued : 'Purged ' + r.purged) + ' dead letter(s); ' + (r.remaining ?? '?') + ' left in ' + r.queue + '.dlq');
      setSelected(new Set());
      await load();
    } catch (err) {
      setStatus('Failed: ' + err.message);
    }
  };
  const field = (name, label, type = 'text') =>
    html`<label>${label}<input type=${type} name=${name} value=${filter[name]} onInput=${(e) => setFilter({ ...filter, [name]: e.currentTarget.value })} /></label>`;

  return html`<section aria-labelledby="dl-h">
    <h2 id="dl-h">Dead letters</h2>
    <form class="search" role="search" onSubmit=${search}>
      <label>Handler<select name="handler" value=${handler} onChange=${(e) => { setHandler(e.currentTarget.value); setOffset(0); setSelected(new Set()); }}>
        ${(handlers ? handlers.handlers : []).map((x) => html`<option value=${x.name}>${x.name}</option>`)}
      </select></label>
      ${field('error', 'Error contains')}
      ${field('messageId', 'Message id')}
      ${field('body', 'Payload contains')}
      ${field('from', 'Failed after', 'datetime-local')}
      ${field('to', 'Failed before', 'datetime-local')}
      <button type="submit" class="primary">Search</button>
    </form>
    ${error ? html`<p class="error" role="alert">${error}</p>` : ''}
    <p class="status" role="status" aria-live="polite">${status}</p>
    ${result
      ? html`<p id="dl-count">${result.total} dead letter(s) match${result.source === 'queue' ? ' (read from the queue)' : ' (from the index)'}; showing ${result.letters.length ? offset + 1 : 0}–${offset + result.letters.length}.</p>
        ${operator
          ? html`<div role="group" aria-label="Act on dead letters">
              <button type="button" disabled=${!selected.size} onClick=${() => act('requeue', 'selected')}>Requeue selected (${selected.size})</button>
              <button type="button" class="danger" disabled=${!selected.size} onClick=${() => act('purge', 'selected')}>Purge selected (${selected.size})</button>
              <button type="button" disabled=${!result.total} onClick=${() => act('requeue', 'matching')}>Requeue all matching (${result.total})</button>
              <button type="button" class="danger" disabled=${!result.total} onClick=${() => act('purge', 'matching')}>Purge all matching (${result.total})</button>
            </div>`
          : ''}
        <table>
          <thead><tr>${operator ? html`<th scope="col"><span class="visually-hidden">Select</span></th>` : ''}<th scope="col">Failed at</th><th scope="col">Message id</th><th scope="col">Error</th><th scope="col" class="num">Attempts</th><th scope="col">Payload</th></tr></thead>
          <tbody>
            ${result.letters.map(
              (l) => html`<tr>
                ${operator ? html`<td><input type="checkbox" aria-label=${'Select ' + (l.messageId || l.id)} checked=${selected.has(l.messageId)} disabled=${!l.messageId} onChange=${() => toggle(l.messageId)} /></td>` : ''}
                <td>${when(l.failedAt)}</td><td>${l.messageId || '—'}</td><td>${l.error}</td><td class="num">${l.attempts ?? '—'}</td>
                <td><button type="button" aria-label=${'View ' + (l.messageId || l.id)} onClick=${() => setViewing(l)}>View</button><code>${l.body.slice(0, 80)}</code></td>
              </tr>`,
            )}
          </tbody>
        </table>
        <nav aria-label="Pages of dead letters">
          <button type="button" disabled=${offset === 0} onClick=${() => setOffset(Math.max(0, offset - PAGE))}>Previous page</button>
          <button type="button" disabled=${offset + PAGE >= result.total} onClick=${() => setOffset(offset + PAGE)}>Next page</button>
        </nav>`
      : ''}
    ${viewing
      ? html`<section aria-labelledby="letter-h"><h2 id="letter-h">Dead letter ${viewing.messageId || viewing.id}</h2>
          <button type="button" onClick=${() => setViewing(null)}>Close</button>
          <h3>Body${viewing.truncated ? ' (cut)' : ''}</h3><pre>${pretty(viewing.body)}</pre>
          <h3>Headers</h3><pre>${JSON.stringify(viewing.headers || {}, null, 2)}</pre></section>`
      : ''}
    ${confirmView}
  </section>`;
}

function pretty(body) {
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}

function Scheduled({ me }) {
  const [data, error, reload] = useApi('/scheduled');
  const [history, setHistory] = useState(null);
  const [status, setStatus] = useState('');
  const [confirm, confirmView] = useConfirm();
  const showHistory = async (name) => setHistory({ name, runs: (await call('/scheduled/' + encodeURIComponent(name) + '/runs?limit=50')).runs });
  const post = async (name, verb) => {
    try {
      const r = await call('/scheduled/' + encodeURIComponent(name) + '/' + verb, { method: 'POST' });
      setStatus(verb === 'run' ? name + ' ran: ' + r.outcome + ' in ' + r.durationMs + ' ms' : name + (r.paused ? ' paused' : ' resumed'));
      await reload();
      if (verb === 'run') await showHistory(name);
    } catch (err) {
      setStatus('Failed: ' + err.message);
    }
  };
  if (!data) return html`<${Loading} error=${error} />`;
  return html`<section aria-labelledby="scheduled-h">
    <h2 id="scheduled-h">Scheduled actions</h2>
    <p class="status" role="status" aria-live="polite">${status}</p>
    <table>
      <thead><tr><th scope="col">Action</th><th scope="col">Cron</th><th scope="col">Time zone</th><th scope="col">Next fires</th><th scope="col">Last run</th><th scope="col" class="num">Missed (1 h)</th><th scope="col">State</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
      <tbody>
        ${data.actions.map(
          (a) => html`<tr>
            <td>${a.name}</td><td><code>${a.cron}</code></td><td>${a.timezone}</td><td>${a.next.map((t) => html`<div>${when(t)}</div>`)}</td>
            <td>${a.lastRun ? a.lastRun.outcome + ' at ' + when(a.lastRun.slot) : '—'}</td><td class="num">${a.missed.length}</td>
            <td>${a.paused ? 'paused by ' + a.paused.by + ' since ' + when(a.paused.at) : 'active'}</td>
            <td>
              <button type="button" aria-label=${'History of ' + a.name} onClick=${() => showHistory(a.name)}>History</button>
              ${me.role === 'operator'
                ? html`<button type="button" aria-label=${'Run ' + a.name + ' now'} onClick=${async () => (await confirm('Run ' + a.name + ' now, once, in this process?', 'Run now')) && post(a.name, 'run')}>Run now</button>
                    <button type="button" aria-label=${(a.paused ? 'Resume ' : 'Pause ') + a.name} onClick=${() => post(a.name, a.paused ? 'resume' : 'pause')}>${a.paused ? 'Resume' : 'Pause'}</button>`
                : ''}
            </td>
          </tr>`,
        )}
      </tbody>
    </table>
    ${history
      ? html`<section aria-labelledby="history-h"><h2 id="history-h">History of ${history.name}</h2>
          <table><thead><tr><th scope="col">Slot</th><th scope="col">Trigger</th><th scope="col">Outcome</th><th scope="col" class="num">Lag (ms)</th><th scope="col" class="num">Duration (ms)</th><th scope="col">Replica</th></tr></thead>
          <tbody>${history.runs.map((r) => html`<tr><td>${when(r.slot)}</td><td>${r.trigger}${r.by ? ' by ' + r.by : ''}</td><td class=${r.outcome === 'ok' ? 'ok' : 'bad'}>${r.outcome}${r.error ? ': ' + r.error : ''}</td><td class="num">${r.lagMs}</td><td class="num">${r.durationMs}</td><td>${r.replica}</td></tr>`)}</tbody></table></section>`
      : ''}
    ${confirmView}
  </section>`;
}

function WebSockets() {
  const [data, error] = useApi('/websocket');
  if (!data) return html`<${Loading} error=${error} />`;
  return html`<section aria-labelledby="ws-h">
      <h2 id="ws-h">WebSocket endpoints</h2>
      ${data.endpoints.length
        ? html`<table><thead><tr><th scope="col">Endpoint</th><th scope="col" class="num">Connections</th></tr></thead><tbody>${data.endpoints.map((e) => html`<tr><td>${e.path}</td><td class="num">${e.connections}</td></tr>`)}</tbody></table>`
        : html`<p>No WebSocket endpoint reported (no websocket plugin, or no http process).</p>`}
      <h2>Connections per replica</h2>
      <table><thead><tr><th scope="col">Replica</th><th scope="col">Endpoint</th><th scope="col" class="num">Connections</th></tr></thead>
        <tbody>${data.replicas.flatMap((r) => Object.entries(r.endpoints).map(([path, n]) => html`<tr><td>${r.replica}</td><td>${path}</td><td class="num">${n}</td></tr>`))}</tbody></table>
      <h2>Rooms</h2>
      ${data.rooms.length
        ? html`<table><thead><tr><th scope="col">Room</th><th scope="col" class="num">Members</th></tr></thead><tbody>${data.rooms.map((r) => html`<tr><td>${r.room}</td><td class="num">${r.size}</td></tr>`)}</tbody></table>`
        : html`<p>No rooms.</p>`}
    </section>`;
}

/** A schema (or the document's parameters / responses) shown folded, `label` naming it. */
function Folded({ value, label }) {
  return value ? html`<details><summary>${label}</summary><pre>${JSON.stringify(value, null, 2)}</pre></details>` : '—';
}

function Routes() {
  const [data, error] = useApi('/routes', 0);
  if (!data) return html`<${Loading} error=${error} />`;
  const fromDocument = data.some((r) => r.source === 'openapi');
  return html`<section aria-labelledby="routes-h">
    <h2 id="routes-h">Routes</h2>
    <p>${fromDocument ? 'From the service\u2019s OpenAPI document.' : 'From the handlers (no OpenAPI document is served).'}</p>
    <table><thead><tr><th scope="col">Method</th><th scope="col">Path</th><th scope="col">Operation</th><th scope="col">Handler</th><th scope="col">Request</th><th scope="col">Responses</th></tr></thead>
      <tbody>${data.map(
        (r) => html`<tr><td>${r.method}</td><td><code>${r.url}</code></td><td>${r.operationId || '—'}${r.summary ? html`<div class="muted">${r.summary}</div>` : ''}</td><td>${r.handler || '—'}</td>
          <td><${Folded} value=${r.request} label="request" /></td>
          <td><${Folded} value=${r.responses} label=${r.responses ? Object.keys(r.responses).join(' ') : ''} /></td></tr>`,
      )}</tbody></table>
  </section>`;
}

const PAGES = [
  ['overview', 'Overview', Overview],
  ['handlers', 'Handlers', Handlers],
  ['dead-letters', 'Dead letters', DeadLetters],
  ['scheduled', 'Scheduled', Scheduled],
  ['websocket', 'WebSocket', WebSockets],
  ['routes', 'Routes', Routes],
];

function route() {
  const [name, qs] = location.hash.replace(/^#/, '').split('?');
  return { name: PAGES.some((p) => p[0] === name) ? name : 'overview', params: new URLSearchParams(qs || '') };
}

function App() {
  const [me, setMe] = useState(null);
  const [error, setError] = useState(null);
  const [at, setAt] = useState(route());
  useEffect(() => {
    call('/me').then(setMe, (err) => setError(err.message));
    const onHash = () => setAt(route());
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);
  const page = PAGES.find((p) => p[0] === at.name);
  useEffect(() => {
    document.title = page[1] + ' · jararaca console';
  }, [page]);
  return html`<header>
      <h1>jararaca console</h1>
      <nav aria-label="Console pages"><ul>${PAGES.map(([name, label]) => html`<li><a href=${'#' + name} aria-current=${name === at.name ? 'page' : undefined}>${label}</a></li>`)}</ul></nav>
      <p class="me" aria-live="polite">${me ? 'Signed in as ' + me.name + ' (' + me.role + ')' : ''}</p>
    </header>
    <main>${error ? html`<p class="error" role="alert">${error}</p>` : me ? h(page[2], { me, params: at.params, key: at.name }) : html`<p>Loading…</p>`}</main>`;
}

// Preact renders beside what is there: the shell's "Loading" line goes first.
const root = document.getElementById('app');
root.replaceChildren();
render(html`<${App} />`, root);
