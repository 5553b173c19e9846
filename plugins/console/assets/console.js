// The console page's script (plain ES module, no libraries): the JSON API under <path>/api.
const api = document.documentElement.dataset.api;
const get = async (p, init) => { const r = await fetch(api + p, init); if (!r.ok) throw new Error((await r.json()).message); return r.json(); };
const text = (tag, value, attrs = {}) => Object.assign(document.createElement(tag), { textContent: value ?? '' }, attrs);
const me = await get('/me');
document.getElementById('me').textContent = 'Signed in as ' + me.name + ' (' + me.role + ')';
async function history(name) {
  const { runs } = await get('/scheduled/' + encodeURIComponent(name) + '/runs?limit=50');
  document.getElementById('history-of').textContent = name;
  document.getElementById('runs').replaceChildren(...runs.map((r) => { const tr = document.createElement('tr'); for (const v of [new Date(r.slot).toISOString(), r.trigger + (r.by ? ' by ' + r.by : ''), r.outcome + (r.error ? ': ' + r.error : ''), r.lagMs, r.durationMs, r.replica]) tr.append(text('td', String(v ?? ''))); return tr; }));
}
async function refresh() {
  const { actions } = await get('/scheduled');
  document.getElementById('actions').replaceChildren(...actions.map((a) => {
    const tr = document.createElement('tr');
    tr.append(text('td', a.name), text('td', a.cron), text('td', a.timezone), text('td', a.next[0] ?? 'never'), text('td', a.lastRun ? a.lastRun.outcome + ' ' + new Date(a.lastRun.slot).toISOString() : '—'), text('td', a.paused ? 'paused by ' + a.paused.by : 'active'));
    const td = document.createElement('td');
    td.append(text('button', 'History', { type: 'button', onclick: () => history(a.name), ariaLabel: 'History of ' + a.name }));
    if (me.role === 'operator') {
      td.append(text('button', 'Run now', { type: 'button', ariaLabel: 'Run ' + a.name + ' now', onclick: async () => { if (confirm('Run ' + a.name + ' now?')) { await get('/scheduled/' + encodeURIComponent(a.name) + '/run', { method: 'POST' }); await refresh(); await history(a.name); } } }));
      const verb = a.paused ? 'resume' : 'pause';
      td.append(text('button', a.paused ? 'Resume' : 'Pause', { type: 'button', ariaLabel: (a.paused ? 'Resume ' : 'Pause ') + a.name, onclick: async () => { await get('/scheduled/' + encodeURIComponent(a.name) + '/' + verb, { method: 'POST' }); await refresh(); } }));
    }
    tr.append(td);
    return tr;
  }));
}
await refresh();
setInterval(refresh, 5000);
