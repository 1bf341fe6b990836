// lib.mjs - what the real-browser tests share: the check counter, a static
// server for test pages, headless Chromium, what the leak checks look for,
// and replay in rrweb's Replayer.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const here = path.dirname(fileURLToPath(import.meta.url));

export const results = { passed: 0, failed: 0 };
export function check(name, ok, detail = '') {
  if (ok) results.passed++;
  else results.failed++;
  console.log(`${ok ? 'ok' : 'not ok'} - ${name}${!ok && detail ? ` (${detail})` : ''}`);
}

// ---- veil serve ------------------------------------------------------------------
export async function freePort() {
  const s = net.createServer();
  await new Promise((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address();
  await new Promise((resolve) => s.close(resolve));
  return port;
}

// `veil serve --config config`, once its listeners are up: its process, what
// it printed, and its log so far.
export async function startVeil(veil, config) {
  const proc = spawn(veil, ['serve', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  // a check that throws ends the script before stopVeil(): no server outlives it
  process.on('exit', () => { if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL'); });
  const v = { proc, stdout: '', stderr: '' };
  proc.stderr.on('data', (d) => { v.stderr += d; });
  await new Promise((resolve, reject) => {
    proc.stdout.on('data', (d) => {
      v.stdout += d;
      if (v.stdout.includes('console https')) resolve();
    });
    proc.on('exit', () => reject(new Error(`veil serve exited: ${v.stderr}`)));
  });
  return v;
}

// SIGTERM, then its exit code.
export function stopVeil(v) {
  v.proc.kill('SIGTERM');
  return new Promise((resolve) => v.proc.on('exit', (code) => resolve(code)));
}

// ---- a static server for the pages and rrweb ------------------------------
const types = { '.js': 'text/javascript', '.cjs': 'text/javascript', '.css': 'text/css', '.html': 'text/html' };

// files: URL path -> file path, or -> function returning the body.
export async function serveStatic(files) {
  const server = http.createServer((req, res) => {
    const file = files[req.url.split('?')[0]];
    if (!file) {
      res.writeHead(404).end();
      return;
    }
    const body = typeof file === 'function' ? file() : readFileSync(file);
    const type = typeof file === 'function' ? '.html' : path.extname(file);
    res.writeHead(200, { 'content-type': types[type] + '; charset=utf-8' });
    res.end(body);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${server.address().port}` };
}

export const rrwebFiles = {
  '/rrweb.js': path.join(here, 'node_modules/rrweb/dist/rrweb.umd.cjs'),
  '/rrweb.css': path.join(here, 'node_modules/rrweb/dist/style.css'),
  '/replay.html': path.join(here, 'pages/replay.html'),
};

export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--ignore-certificate-errors'],
  });
}

// ---- what the checks look for -----------------------------------------------
export const digitsOf = (s) => s.replace(/[\s\u00a0-]/g, '');

// Every string in a JSON value, with the event index it came from.
export function strings(events) {
  const found = [];
  const walk = (v, i) => {
    if (typeof v === 'string') found.push([i, v]);
    else if (Array.isArray(v)) v.forEach((x) => walk(x, i));
    else if (v && typeof v === 'object') Object.values(v).forEach((x) => walk(x, i));
  };
  events.forEach((e, i) => walk(e, i));
  return found;
}

// No string holds more than the 6-digit BIN of any of these cards.
export function leakedCardPrefix(events, cards) {
  for (const [i, s] of strings(events)) {
    const d = digitsOf(s);
    for (const card of cards)
      for (let n = 7; n <= card.length; n++)
        if (d.includes(card.slice(0, n))) return `event ${i}: ${JSON.stringify(s).slice(0, 80)}`;
  }
  return '';
}

export function leakedText(events, secrets) {
  for (const [i, s] of strings(events))
    for (const secret of secrets)
      if (s.includes(secret)) return `event ${i} holds ${JSON.stringify(secret)}`;
  return '';
}

// True when there is at least one item and every one passes: a check over
// nothing must not pass.
export const allOf = (list, ok) => list.length > 0 && list.every(ok);

export const count = (events, text) => strings(events).filter(([, s]) => s.includes(text)).length;

// ---- replay ------------------------------------------------------------------
// Replays events to their end in rrweb's Replayer (a page of `origin`
// serving rrwebFiles); the page's text, input values, and errors.
export async function replay(browser, origin, events) {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${origin}/replay.html`);
  const result = await page.evaluate(async (evs) => {
    const replayer = new rrweb.Replayer(evs, { root: document.getElementById('player') });
    const end = evs[evs.length - 1].timestamp - evs[0].timestamp;
    replayer.pause(end + 1); // applies every event up to and with the last
    await new Promise((resolve) => setTimeout(resolve, 300)); // a new page's snapshot settles
    const doc = replayer.iframe.contentDocument;
    return { text: doc.body ? doc.body.innerText : '', inputs: [...doc.querySelectorAll('input')].map((i) => i.value) };
  }, events);
  await page.close();
  return { ...result, errors };
}
