// veil.js - the browser snippet: records the page with rrweb 2.2.2 and
// streams it to Veil over the veil.v1 WebSocket protocol (DESIGN.md, "Wire
// protocol"). Installed with one tag:
//
//   <script src="https://VEIL:8443/veil.js" data-veil-site="KEY" async></script>
//
// What it promises the page: it never throws into it and never blocks it
// (every callback is guarded; compression and sending are asynchronous).
// What it promises the recording: a batch is kept (in memory and in
// sessionStorage, so it survives a navigation in the same tab) until the
// server acknowledges it as durable, and resent after a reconnect, with
// backoff and jitter. It masks what the server tells it to (the `policy`
// hints in `ready`), but the server masks everything again: the snippet is
// not trusted with privacy.
import { record } from 'rrweb';

const VERSION = '1';
const BATCH_BYTES = 64 * 1024; // a batch goes out at this size...
const BATCH_MS = 2000; // ...or after this long
const STORE_BYTES = 2 * 1024 * 1024; // unacked batches kept in sessionStorage
const MEMORY_BYTES = 16 * 1024 * 1024; // and in memory, past which the session restarts
const HINTS_WAIT_MS = 3000; // recording starts at `ready`, or after this with strict masking
const BACKOFF_MAX_MS = 30000;

function guard(fn) {
  return function guarded() {
    try {
      return fn.apply(this, arguments);
    } catch (e) {
      return undefined; // the page never sees our mistakes
    }
  };
}

// ---- the tab's state, kept across navigations ---------------------------------
function stateKey(site) {
  return 'veil:' + site;
}

function loadState(site) {
  try {
    const s = JSON.parse(sessionStorage.getItem(stateKey(site)) || 'null');
    if (s && typeof s.session === 'string' && Array.isArray(s.pending)) return s;
  } catch (e) {
    /* no storage, or not ours: start afresh */
  }
  return { session: null, token: null, next: 1, pending: [], hints: null };
}

function saveState(site, state) {
  try {
    let bytes = 0;
    const kept = [];
    for (let i = state.pending.length - 1; i >= 0; i--) {
      bytes += state.pending[i].body.length;
      if (bytes > STORE_BYTES) break;
      kept.unshift(state.pending[i]);
    }
    const saved = Object.assign({}, state, { pending: kept });
    sessionStorage.setItem(stateKey(site), JSON.stringify(saved));
  } catch (e) {
    /* quota or privacy mode: memory only */
  }
}

// ---- gzip, where the browser has CompressionStream ----------------------------
function gzip(text) {
  if (typeof CompressionStream === 'undefined' || text.length < 1024) return Promise.resolve(text);
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream('gzip'));
  return new Response(stream).arrayBuffer().catch(() => text);
}

// ---- the connection ------------------------------------------------------------
function Recorder(site, url) {
  this.site = site;
  this.url = url;
  this.state = loadState(site);
  this.buffer = [];
  this.bufferBytes = 0;
  this.ws = null;
  this.ready = false;
  this.attempt = 0;
  this.sending = Promise.resolve();
  this.stopRecording = null;
  this.flushTimer = null;
  this.lastHref = location.href;
  this.limits = { message: 4194304, inflated: 16777216 }; // the defaults, until `ready`
}

Recorder.prototype.connect = function connect() {
  const ws = new WebSocket(this.url + (this.url.indexOf('?') < 0 ? '?' : '&') + 'site=' +
    encodeURIComponent(this.site), 'veil.v1');
  ws.binaryType = 'arraybuffer';
  this.ws = ws;
  this.ready = false;
  ws.onopen = guard(() => this.hello());
  ws.onmessage = guard((e) => this.onMessage(e));
  ws.onclose = guard((e) => this.onClose(e));
  ws.onerror = function ignore() {}; // onclose follows
};

Recorder.prototype.hello = function hello() {
  const s = this.state;
  const msg = { t: 'hello', site: this.site, page: location.href, snippet: VERSION };
  if (s.session) {
    msg.session = s.session;
    msg.token = s.token;
    msg.resume = s.pending.length ? s.pending[0].seq - 1 : s.next - 1;
  }
  this.ws.send(JSON.stringify(msg));
};

Recorder.prototype.onMessage = function onMessage(e) {
  if (typeof e.data !== 'string') return;
  const msg = JSON.parse(e.data);
  if (msg.t === 'ready') this.onReady(msg);
  else if (msg.t === 'ack') this.onAck(msg.seq);
  else if (msg.t === 'error') this.lastError = msg.code;
};

Recorder.prototype.onReady = function onReady(msg) {
  const s = this.state;
  const resumed = s.session === msg.session;
  if (!resumed) { // a new session: nothing of an old one is resent into it
    s.pending = [];
    s.next = 1;
  }
  s.session = msg.session;
  s.token = msg.token;
  s.hints = msg.policy || null;
  if (msg.limits) this.limits = msg.limits;
  s.pending = s.pending.filter((b) => b.seq > msg.last);
  if (s.next <= msg.last) s.next = msg.last + 1;
  if (s.pending.length && s.pending[0].seq !== msg.last + 1) { // batches lost for good
    this.restart();
    return;
  }
  this.ready = true;
  this.attempt = 0;
  saveState(this.site, s);
  if (!this.stopRecording) this.startRecording();
  else if ((!resumed || msg.state === false) && record.takeFullSnapshot)
    record.takeFullSnapshot(true); // the server has no state to mask increments against
  s.pending.forEach((b) => this.transmit(b));
};

Recorder.prototype.onAck = function onAck(seq) {
  const s = this.state;
  const before = s.pending.length;
  s.pending = s.pending.filter((b) => b.seq > seq);
  if (s.pending.length !== before) saveState(this.site, s);
};

// A new session from a full snapshot: after a refusal that resending
// cannot cure (a bad token, a deleted or over-long session, a lost batch).
Recorder.prototype.restart = function restart() {
  this.state = { session: null, token: null, next: 1, pending: [], hints: this.state.hints };
  saveState(this.site, this.state);
  if (this.ws && this.ws.readyState <= 1) this.ws.close(1000);
};

const RESTART_CODES = { 1008: true, 4000: true, 4003: true };

Recorder.prototype.onClose = function onClose(e) {
  this.ready = false;
  this.ws = null;
  if (this.unloading) return;
  if (RESTART_CODES[e.code] || e.code === 1009) this.restart();
  const delay = Math.min(BACKOFF_MAX_MS, 1000 * Math.pow(2, this.attempt++));
  setTimeout(guard(() => this.connect()), delay * (0.5 + Math.random()));
};

// ---- recording and batching ------------------------------------------------------
Recorder.prototype.startRecording = function startRecording() {
  const h = this.state.hints || { record_inputs: false, record_pii: false, mask_selector: '' };
  this.stopRecording = record({
    emit: guard((event) => this.onEvent(event)),
    maskAllInputs: !h.record_inputs,
    maskInputOptions: { password: true },
    maskTextSelector: h.mask_selector || undefined,
    slimDOMOptions: 'all',
    inlineStylesheet: true,
    recordCanvas: false,
    collectFonts: false,
  });
};

// The largest batch the server takes (its `ready` says), less the envelope.
Recorder.prototype.batchLimit = function batchLimit() {
  const l = this.limits;
  const cap = typeof CompressionStream === 'undefined' ? Math.min(l.message, l.inflated) : l.inflated;
  return cap - 256;
};

function utf8Bytes(text, limit) {
  // exact only when it could matter: a character is at most 3 bytes
  return text.length * 3 <= limit ? text.length : new TextEncoder().encode(text).length;
}

Recorder.prototype.onEvent = function onEvent(event) {
  // a router that kept history.pushState from before the snippet loaded
  // changes the URL unseen: the next event says so first
  if (event.type !== 5 && location.href !== this.lastHref) this.noteUrl();
  const limit = this.batchLimit();
  let text = JSON.stringify(event);
  let bytes = utf8Bytes(text, limit);
  if (bytes > limit) { // one event past what the server takes: say so instead of looping on it
    text = JSON.stringify({ type: 5, data: { tag: 'veil-dropped', payload: { type: event.type, bytes } },
      timestamp: event.timestamp });
    bytes = text.length;
  }
  if (this.bufferBytes && this.bufferBytes + bytes > limit) this.flush();
  this.buffer.push(text);
  this.bufferBytes += bytes;
  if (this.bufferBytes >= BATCH_BYTES) this.flush();
  else if (!this.flushTimer) this.flushTimer = setTimeout(guard(() => this.flush()), BATCH_MS);
};

// Single-page apps change URL without a Meta event: the server switches page
// policy on this one.
Recorder.prototype.noteUrl = function noteUrl() {
  if (location.href === this.lastHref || !this.stopRecording) return;
  this.lastHref = location.href;
  record.addCustomEvent('veil-url', location.href);
};

Recorder.prototype.flush = function flush() {
  clearTimeout(this.flushTimer);
  this.flushTimer = null;
  if (!this.buffer.length) return;
  const s = this.state;
  const batch = { seq: s.next++, body: '[' + this.buffer.join(',') + ']' };
  this.buffer = [];
  this.bufferBytes = 0;
  s.pending.push(batch);
  let held = 0;
  s.pending.forEach((b) => { held += b.body.length; });
  if (held > MEMORY_BYTES) { // the server has been away too long: start over when it is back
    this.restart();
    return;
  }
  saveState(this.site, s);
  this.transmit(batch);
};

Recorder.prototype.transmit = function transmit(batch) {
  if (!this.ready) return; // sent after the next `ready`
  const ws = this.ws;
  const text = '{"t":"batch","seq":' + batch.seq + ',"events":' + batch.body + '}';
  // in order: each send waits for the one before (compression is async)
  this.sending = this.sending.then(() => gzip(text)).then((data) => {
    if (ws.readyState === 1 && this.ws === ws) ws.send(data);
  }).catch(() => {});
};

// ---- start ------------------------------------------------------------------------
function wrapHistory(recorder) {
  ['pushState', 'replaceState'].forEach((name) => {
    const original = history[name];
    if (typeof original !== 'function') return;
    history[name] = function veilHistory() {
      const result = original.apply(this, arguments);
      guard(() => recorder.noteUrl())();
      return result;
    };
  });
  addEventListener('popstate', guard(() => recorder.noteUrl()));
  addEventListener('hashchange', guard(() => recorder.noteUrl()));
  // the Navigation API sees every change of URL, history calls made through
  // a reference kept from before the wrapper included
  if (window.navigation && typeof navigation.addEventListener === 'function')
    navigation.addEventListener('currententrychange', guard(() => recorder.noteUrl()));
}

function socketUrl(script) {
  const given = script.getAttribute('data-veil-url');
  if (given) return given;
  const src = new URL(script.src, location.href);
  return (src.protocol === 'http:' ? 'ws://' : 'wss://') + src.host + '/';
}

const start = guard(() => {
  const script = document.currentScript;
  const site = script && script.getAttribute('data-veil-site');
  if (!site || window.__veil || typeof WebSocket === 'undefined') return;
  const recorder = new Recorder(site, socketUrl(script));
  window.__veil = { version: VERSION, state: () => recorder.state };
  wrapHistory(recorder);
  // pagehide: the last events go into sessionStorage for the next page
  addEventListener('pagehide', guard(() => {
    recorder.flush();
    recorder.unloading = true;
  }));
  addEventListener('pageshow', guard((e) => { // back from the back-forward cache
    if (!e.persisted) return;
    recorder.unloading = false;
    if (!recorder.ws) recorder.connect();
  }));
  document.addEventListener('visibilitychange', guard(() => {
    if (document.visibilityState === 'hidden') recorder.flush();
  }));
  if (recorder.state.hints) recorder.startRecording(); // a later page of the session
  else setTimeout(guard(() => { if (!recorder.stopRecording) recorder.startRecording(); }),
    HINTS_WAIT_MS);
  recorder.connect();
});

start();
