// app.js - the Veil console: a small single-page app over the JSON API
// (DESIGN.md, "Console API"). No inline scripts or handlers (the CSP allows
// only scripts from the console itself); text from the API is always set
// with textContent, never parsed as HTML, except the QR code's SVG, which
// the server draws.
'use strict';

const state = { me: null, csrf: null };
const $main = document.getElementById('main');
const $nav = document.getElementById('nav');
const $who = document.getElementById('who');
const $notice = document.getElementById('notice');

// ---- helpers -------------------------------------------------------------------
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'on') Object.entries(v).forEach(([ev, fn]) => e.addEventListener(ev, fn));
    else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) e.append(c instanceof Node ? c : String(c));
  return e;
}

function show(...nodes) {
  $main.replaceChildren(...nodes);
}

function notice(text, bad) {
  $notice.hidden = !text;
  $notice.textContent = text || '';
  $notice.className = bad ? 'bad' : '';
}

const when = (ms) => (ms ? new Date(ms).toISOString().replace('T', ' ').slice(0, 19) + ' UTC' : '—');
const size = (b) => (b > 1e6 ? (b / 1e6).toFixed(1) + ' MB' : (b / 1e3).toFixed(1) + ' kB');
const duration = (ms) => (ms < 60000 ? Math.round(ms / 1000) + ' s' : Math.round(ms / 60000) + ' min');

async function api(method, path, body) {
  const headers = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && state.csrf) headers['x-csrf-token'] = state.csrf;
  const res = await fetch(path, {
    method, headers, credentials: 'same-origin', cache: 'no-store',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let data = {};
  try { data = await res.json(); } catch (e) { /* no JSON body */ }
  if (res.status === 401 && path !== '/api/login') {
    state.me = null;
    loginView('Your session ended: log in again.');
  }
  return { status: res.status, ok: res.ok, data };
}

function form(title, fields, submit, onSubmit) {
  const error = el('p', { class: 'error', role: 'alert' });
  const f = el('form', { class: 'card', autocomplete: 'off' }, el('h2', {}, title),
    ...fields, el('button', { type: 'submit' }, submit), error);
  f.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.textContent = '';
    const values = Object.fromEntries(new FormData(f).entries());
    const problem = await onSubmit(values, f);
    if (problem) error.textContent = problem;
  });
  return f;
}

const field = (label, name, type = 'text', attrs = {}) =>
  el('label', {}, label, el('input', { name, type, autocomplete: 'off', ...attrs }));

// ---- login, password, TOTP --------------------------------------------------------
function loginView(message) {
  $nav.replaceChildren();
  $who.textContent = '';
  let needCode = false;
  const code = field('Code from your authenticator app (or a recovery code)', 'code', 'text',
    { inputmode: 'numeric', autocomplete: 'one-time-code' });
  code.hidden = true;
  show(form('Log in', [field('User', 'user', 'text', { autocapitalize: 'none', spellcheck: 'false' }),
    field('Password', 'password', 'password', { autocomplete: 'off' }), code], 'Log in',
  async (v) => {
    const body = { user: v.user, password: v.password };
    if (needCode && v.code) body[v.code.includes('-') ? 'recovery' : 'totp'] = v.code.trim();
    const r = await api('POST', '/api/login', body);
    if (!r.ok) {
      if (r.data.totp_required) { needCode = true; code.hidden = false; }
      return r.data.error || 'login failed';
    }
    state.csrf = r.data.csrf;
    state.me = r.data;
    const last = r.data.last_login ? `Last login ${when(r.data.last_login)}` +
      (r.data.last_login_ip ? ` from ${r.data.last_login_ip}` : '') : 'First login';
    notice(`${last}. Failed attempts since: ${r.data.failed_since}.`, r.data.failed_since > 0);
    route();
    return null;
  }));
  if (message) notice(message, true);
}

function passwordView() {
  show(form('Change your password', [
    el('p', { class: 'muted' }, 'Your password must be changed before you go on.'),
    field('Current password', 'old', 'password'), field('New password', 'new', 'password'),
    field('New password again', 'again', 'password')], 'Change password', async (v) => {
    if (v.new !== v.again) return 'the two new passwords differ';
    const r = await api('POST', '/api/password', { old: v.old, new: v.new });
    if (!r.ok) return r.data.error;
    state.me.must_change_password = false;
    notice('Password changed.');
    route();
    return null;
  }));
}

async function totpView() {
  const r = await api('POST', '/api/totp/enroll');
  if (!r.ok) return show(el('p', { class: 'error' }, r.data.error));
  const qr = el('div', { class: 'qr' });
  if (r.data.qr_svg) {
    const svg = new DOMParser().parseFromString(r.data.qr_svg, 'image/svg+xml').documentElement;
    qr.append(document.importNode(svg, true));
  }
  show(form('Enrol an authenticator app', [
    el('p', {}, 'Admins sign in with a second factor. Scan the code, or type the secret, then enter the 6-digit code the app shows.'),
    qr, el('p', {}, 'Secret: ', el('code', {}, r.data.secret)),
    field('Code', 'code', 'text', { inputmode: 'numeric' })], 'Confirm', async (v) => {
    const c = await api('POST', '/api/totp/confirm', { code: v.code.trim() });
    if (!c.ok) return c.data.error;
    state.me.must_enroll_totp = false;
    show(el('section', { class: 'card' }, el('h2', {}, 'Recovery codes'),
      el('p', {}, 'Each works once instead of a code. Keep them somewhere safe: they are not shown again.'),
      el('ul', { class: 'codes' }, c.data.recovery_codes.map((x) => el('li', {}, x))),
      el('button', { on: { click: () => route() } }, 'Done')));
    return null;
  }));
  return null;
}

// ---- navigation -----------------------------------------------------------------------
const can = {
  sessions: () => ['standard', 'analytics', 'admin'].includes(state.me.role),
  export: () => ['analytics', 'admin'].includes(state.me.role),
  admin: () => state.me.role === 'admin',
};

function navigate(view, arg) {
  location.hash = arg ? `${view}/${encodeURIComponent(arg)}` : view;
}

function drawNav(current) {
  const links = [];
  if (can.sessions()) links.push(['sessions', 'Sessions']);
  links.push(['alerts', 'Alerts']);
  if (can.export()) links.push(['search', 'Search']);
  if (can.admin()) links.push(['users', 'Users'], ['sites', 'Sites'], ['keys', 'Keys'], ['audit', 'Audit log']);
  $nav.replaceChildren(...links.map(([v, t]) => el('a', { class: v === current ? 'here' : null, on: { click: () => navigate(v) } }, t)));
  $who.replaceChildren(`${state.me.user} (${state.me.role}) `,
    el('button', { on: { click: logout } }, 'Log out'));
}

async function logout() {
  await api('POST', '/api/logout');
  state.me = null;
  state.csrf = null;
  notice('');
  loginView();
}

async function route() {
  if (!state.me) {
    const r = await api('GET', '/api/me');
    if (!r.ok) return loginView();
    state.me = r.data;
    state.csrf = r.data.csrf;
  }
  if (state.me.must_change_password) return passwordView();
  if (state.me.must_enroll_totp) return totpView();
  const [view, arg] = location.hash.slice(1).split('/');
  const views = { sessions: sessionsView, replay: replayView, alerts: alertsView, search: searchView,
    users: usersView, sites: sitesView, keys: keysView, audit: auditView };
  const fallback = can.sessions() ? 'sessions' : 'alerts';
  const name = views[view] ? view : fallback;
  drawNav(name === 'replay' ? 'sessions' : name);
  return views[name](arg ? decodeURIComponent(arg) : undefined);
}
window.addEventListener('hashchange', () => { if (state.me) route(); });

// ---- sessions and replay -------------------------------------------------------------------
function siteSelect(name = 'site') {
  return el('select', { name }, el('option', { value: '' }, 'All my sites'),
    state.me.sites.map((s) => el('option', { value: s }, s)));
}

async function sessionsView() {
  const table = el('table', {}, el('thead', {}, el('tr', {}, ['Session', 'Site', 'Start', 'Duration', 'Pages', 'Events', 'Masked values', 'Size'].map((h) => el('th', {}, h)))));
  const body = el('tbody');
  table.append(body);
  const more = el('button', { hidden: true }, 'More');
  let cursor = null;
  const filters = el('form', { class: 'card' }, el('h2', {}, 'Sessions'), el('label', {}, 'Site ', siteSelect()),
    el('label', {}, 'From ', el('input', { type: 'date', name: 'from' })),
    el('label', {}, 'To ', el('input', { type: 'date', name: 'to' })), el('button', { type: 'submit' }, 'Show'));
  async function load(reset) {
    if (reset) { body.replaceChildren(); cursor = null; }
    const f = new FormData(filters);
    const q = new URLSearchParams();
    if (f.get('site')) q.set('site', f.get('site'));
    if (f.get('from')) q.set('from', Date.parse(f.get('from')));
    if (f.get('to')) q.set('to', Date.parse(f.get('to')) + 86399999);
    if (cursor) q.set('cursor', cursor);
    const r = await api('GET', `/api/sessions?${q}`);
    if (!r.ok) return body.append(el('tr', {}, el('td', { class: 'error', colspan: 8 }, r.data.error)));
    for (const s of r.data.sessions)
      body.append(el('tr', {}, el('td', {}, el('a', { href: `#replay/${s.session}` }, s.session)), el('td', {}, s.site),
        el('td', {}, when(s.created)), el('td', { class: 'num' }, duration(s.duration_ms)),
        el('td', { class: 'num' }, s.pages), el('td', { class: 'num' }, s.events),
        el('td', {}, Object.entries(s.masks).map(([k, n]) => `${k.replace(/_/g, ' ')} ${n}`).join(', ') || '—'),
        el('td', { class: 'num' }, size(s.masked_bytes))));
    cursor = r.data.next || null;
    more.hidden = !cursor;
    return null;
  }
  filters.addEventListener('submit', (e) => { e.preventDefault(); load(true); });
  more.addEventListener('click', () => load(false));
  show(filters, table, more);
  await load(true);
}

// The events stream: "<length>\n<chunk JSON>\n" per stored chunk; a chunk is
// an array of events or a batch {"t":"batch","seq":N,"events":[...]}.
async function* chunks(response) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buf = new Uint8Array(0);
  const append = (a, b) => { const c = new Uint8Array(a.length + b.length); c.set(a); c.set(b, a.length); return c; };
  for (;;) {
    for (;;) {
      const nl = buf.indexOf(10);
      if (nl < 0) break;
      const len = Number(decoder.decode(buf.subarray(0, nl)));
      if (buf.length < nl + 1 + len + 1) break;
      const chunk = JSON.parse(decoder.decode(buf.subarray(nl + 1, nl + 1 + len)));
      buf = buf.subarray(nl + 1 + len + 1);
      yield Array.isArray(chunk) ? chunk : (chunk.events || []);
    }
    const { value, done } = await reader.read();
    if (done) return;
    buf = append(buf, value);
  }
}

async function replayView(id) {
  const info = await api('GET', `/api/sessions/${encodeURIComponent(id)}`);
  if (!info.ok) return show(el('p', { class: 'error' }, info.data.error));
  if (info.data.replay_assets && location.pathname !== '/replay') {
    // a page whose policy lets this site's own images and styles load
    location.assign(`/replay?site=${encodeURIComponent(info.data.site)}#replay/${encodeURIComponent(id)}`);
    return null;
  }
  const status = el('p', { class: 'muted' }, 'Loading…');
  const target = el('div', { id: 'player' });
  const actions = [el('a', { href: '#sessions' }, '← Sessions')];
  if (can.export()) actions.push(' ', el('a', { href: `/api/sessions/${encodeURIComponent(id)}/export`, download: `veil-${id}.json` }, 'Export (JSON)'));
  show(el('h2', {}, `Session ${id}`), el('p', {}, ...actions),
    el('p', { class: 'muted' }, `${info.data.site} · ${when(info.data.created)} · ${duration(info.data.duration_ms)}`), status, target);
  const started = performance.now();
  const res = await fetch(`/api/sessions/${encodeURIComponent(id)}/events`, { credentials: 'same-origin' });
  if (!res.ok) { status.textContent = 'cannot load the session'; return null; }
  const Player = window.rrwebPlayer.default || window.rrwebPlayer.Player || window.rrwebPlayer;
  let player = null;
  const early = [];
  let count = 0;
  for await (const events of chunks(res)) {
    count += events.length;
    if (player) { events.forEach((e) => player.addEvent(e)); continue; }
    early.push(...events);
    if (early.some((e) => e.type === 2) && early.length >= 2) {
      player = new Player({ target, props: { events: early, width: 1024, height: 576, autoPlay: false, showController: true } });
      window.__veilFirstFrameMs = performance.now() - started; // read by the browser tests
      status.textContent = `First frame after ${Math.round(window.__veilFirstFrameMs)} ms; loading the rest…`;
    }
  }
  if (!player && early.length) {
    player = new Player({ target, props: { events: early, width: 1024, height: 576, autoPlay: false } });
    window.__veilFirstFrameMs = performance.now() - started;
  }
  window.__veilPlayer = player;
  status.textContent = player ? `${count} events. Text shown masked is masked in the store: it was never kept.` : 'This session has no events.';
  return null;
}

// ---- alerts, search ---------------------------------------------------------------------------
async function alertsView() {
  const r = await api('GET', '/api/alerts');
  if (!r.ok) return show(el('p', { class: 'error' }, r.data.error));
  const rows = r.data.alerts.map((a) => el('tr', {}, el('td', {}, a.site), el('td', {}, a.kind),
    el('td', { class: 'num' }, a.count), el('td', {}, when(a.at)),
    el('td', {}, a.acked_by ? `acknowledged by ${a.acked_by}` : el('button', { on: { click: async () => {
      const ack = await api('POST', `/api/alerts/${encodeURIComponent(a.site)}/${a.id}/ack`);
      if (!ack.ok) notice(ack.data.error, true);
      alertsView();
    } } }, 'Acknowledge'))));
  show(el('h2', {}, 'Alerts'), el('p', { class: 'muted' }, 'A card number outside a card field, a value named like a secret, or a site whose batches keep failing: what a page let through that it should have masked.'),
    el('table', {}, el('thead', {}, el('tr', {}, ['Site', 'Kind', 'Count', 'Raised', ''].map((h) => el('th', {}, h)))), el('tbody', {}, rows)));
  return null;
}

function searchView() {
  const out = el('ul');
  show(form('Search masked sessions', [el('label', {}, 'Site ', siteSelect()), field('Text', 'q')], 'Search', async (v) => {
    if (!v.site) return 'pick a site';
    const r = await api('GET', `/api/search?site=${encodeURIComponent(v.site)}&q=${encodeURIComponent(v.q)}`);
    if (!r.ok) return r.data.error;
    out.replaceChildren(...r.data.sessions.map((s) => el('li', {}, el('a', { href: `#replay/${s}` }, s))));
    if (!r.data.sessions.length) out.append(el('li', {}, `No match in the ${r.data.searched} latest sessions.`));
    return null;
  }), out);
}

// ---- admin ------------------------------------------------------------------------------------------
async function usersView() {
  const r = await api('GET', '/api/users');
  if (!r.ok) return show(el('p', { class: 'error' }, r.data.error));
  const patch = async (name, body) => {
    const p = await api('PATCH', `/api/users/${encodeURIComponent(name)}`, body);
    if (!p.ok) notice(p.data.error, true);
    else if (p.data.one_time_password) notice(`One-time password for ${name}: ${p.data.one_time_password} (shown once; it must be changed at the next login).`);
    usersView();
  };
  const roles = ['alerts', 'standard', 'analytics', 'admin'];
  const rows = r.data.users.map((u) => el('tr', {}, el('td', {}, u.name),
    el('td', {}, el('select', { on: { change: (e) => patch(u.name, { role: e.target.value }) } },
      roles.map((x) => el('option', { value: x, selected: x === u.role }, x)))),
    el('td', {}, el('input', { value: u.sites.join(', '), on: { change: (e) => patch(u.name, { sites: e.target.value.split(',').map((s) => s.trim()).filter(Boolean) }) } })),
    el('td', {}, [u.disabled ? 'disabled' : '', u.locked ? 'locked' : '', u.totp ? 'TOTP' : '', u.must_change_password ? 'must change password' : ''].filter(Boolean).join(', ')),
    el('td', {}, when(u.last_login)),
    el('td', {}, el('button', { on: { click: () => patch(u.name, { disabled: !u.disabled }) } }, u.disabled ? 'Enable' : 'Disable'),
      u.locked ? el('button', { on: { click: () => patch(u.name, { unlock: true }) } }, 'Unlock') : null,
      el('button', { on: { click: () => patch(u.name, { reset_password: true }) } }, 'Reset password'))));
  show(el('h2', {}, 'Users'),
    el('table', {}, el('thead', {}, el('tr', {}, ['User', 'Role', 'Sites', 'State', 'Last login', ''].map((h) => el('th', {}, h)))), el('tbody', {}, rows)),
    form('Add a user', [field('Name', 'name'), el('label', {}, 'Role ', el('select', { name: 'role' }, roles.map((x) => el('option', { value: x }, x)))),
      field('Sites (comma-separated)', 'sites')], 'Add', async (v) => {
      const a = await api('POST', '/api/users', { name: v.name, role: v.role, sites: v.sites.split(',').map((s) => s.trim()).filter(Boolean) });
      if (!a.ok) return a.data.error;
      notice(`One-time password for ${a.data.name}: ${a.data.one_time_password} (shown once; it must be changed at the first login).`);
      usersView();
      return null;
    }));
  return null;
}

async function sitesView() {
  const r = await api('GET', '/api/sites');
  if (!r.ok) return show(el('p', { class: 'error' }, r.data.error));
  show(el('h2', {}, 'Sites'), el('p', { class: 'muted' }, 'Sites and their masking policy come from the configuration file (docs/configuration.md): edit it and restart veil serve.'),
    ...r.data.sites.map((s) => el('section', { class: 'card wide' }, el('h3', {}, s.name),
      el('p', {}, 'Origins: ', s.origins.join(', ') || '—'),
      el('p', {}, s.replay_assets ? 'Replay may load the site\'s own images and styles.' : 'Replay never loads anything from the site.'),
      el('pre', {}, s.policy || '(the default policy)'))));
  return null;
}

async function keysView() {
  const r = await api('GET', '/api/keys');
  if (!r.ok) return show(el('p', { class: 'error' }, r.data.error));
  show(el('h2', {}, 'Master keys'),
    el('table', {}, el('thead', {}, el('tr', {}, ['Version', 'State', 'Created', 'Data keys', 'Wraps'].map((h) => el('th', {}, h)))),
      el('tbody', {}, r.data.keys.map((k) => el('tr', {}, el('td', {}, `v${k.version}`),
        el('td', {}, k.current ? 'current' : k.retired ? 'retired' : 'active'), el('td', {}, when(k.created)),
        el('td', { class: 'num' }, k.data_keys), el('td', { class: 'num' }, k.wraps))))),
    el('button', { on: { click: async () => {
      const rot = await api('POST', '/api/keys/rotate');
      notice(rot.ok ? `Rotated to v${rot.data.version}; data keys move to it in the background.` : rot.data.error, !rot.ok);
      keysView();
    } } }, 'Rotate now'));
  return null;
}

async function auditView() {
  const [v, r] = await Promise.all([api('GET', '/api/audit/verify'), api('GET', '/api/audit?limit=10000')]);
  if (!r.ok) return show(el('p', { class: 'error' }, r.data.error));
  const records = r.data.records;
  const download = el('button', { on: { click: () => {
    const url = URL.createObjectURL(new Blob([JSON.stringify(records, null, 1)], { type: 'application/json' }));
    el('a', { href: url, download: 'veil-audit.json' }).click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  } } }, 'Export (JSON)');
  show(el('h2', {}, 'Audit log'),
    el('p', { class: v.data.ok ? '' : 'error' }, v.data.ok
      ? `The chain verifies: ${v.data.records} records, ${v.data.first}–${v.data.last}. Head ${v.data.last}:${v.data.head} (keep it: a later check against it catches a cut log).`
      : `The chain is broken at record ${v.data.bad_seq}: ${v.data.problem}`),
    download,
    el('table', {}, el('thead', {}, el('tr', {}, ['#', 'Time', 'Who', 'Action', 'Object', 'Outcome', 'From'].map((h) => el('th', {}, h)))),
      el('tbody', {}, records.slice(-500).reverse().map((a) => el('tr', {}, el('td', { class: 'num' }, a.seq), el('td', {}, when(a.at)),
        el('td', {}, `${a.actor} (${a.role})`), el('td', {}, a.action), el('td', {}, a.object), el('td', {}, a.outcome), el('td', {}, a.ip))))));
  return null;
}

route();
