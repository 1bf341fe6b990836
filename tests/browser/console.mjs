// console.mjs VEIL - the console in a real browser: a visit to a test shop
// is recorded through the snippet, then an admin logs in (one-time password,
// new password, TOTP enrolment), adds a user of each role, and each role
// logs in and sees only what it may, including API calls the UI hides. The
// session plays in rrweb-player: its first frame shows, the card typed into
// the shop stays masked on screen, and the analyst's browser makes no
// request to the shop's origin while it plays.
import crypto from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  check, digitsOf, freePort, launch, results, serveStatic, startVeil, stopVeil,
} from './lib.mjs';

const [veil] = process.argv.slice(2);
const work = mkdtempSync(path.join(tmpdir(), 'veil-console-'));

function totp(secretB32, offset = 0) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of secretB32) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const step = Buffer.alloc(8);
  step.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 30000) + offset));
  const mac = crypto.createHmac('sha1', key).update(step).digest();
  const off = mac[19] & 15;
  return String((mac.readUInt32BE(off) & 0x7fffffff) % 1000000).padStart(6, '0');
}

const ingestPort = await freePort();
const consolePort = await freePort();
const CARD = '4111 1111 1111 1111';

// ---- the recorded shop: counts every request made to it --------------------------------
let shopRequests = [];
const shopPage = () => `<!doctype html><html lang=en><meta charset=utf-8><title>Shop</title>
<link rel=stylesheet href="/style.css">
<script src="https://127.0.0.1:${ingestPort}/veil.js" data-veil-site="shop-key" async></script>
<h1>Welcome to the shop</h1><img src="/logo.png" alt="logo">
<label>Card <input id=card autocomplete=cc-number></label></html>`;
const shop = await serveStatic({
  '/shop.html': shopPage,
  '/style.css': () => 'h1 { color: #336 }',
  '/logo.png': () => '',
});
shop.server.on('request', (req) => shopRequests.push(req.url));

// ---- veil serve -------------------------------------------------------------------------
const config = path.join(work, 'veil.conf');
writeFileSync(config, `[server]
ingest_port = ${ingestPort}
console_port = ${consolePort}
state_dir = ${work}/state
[site shop]
key = shop-key
origin = ${shop.origin}
[site blog]
key = blog-key
origin = https://blog.test
`);
const serve = await startVeil(veil, config);
const adminPassword = serve.stdout.match(/one-time password (\S+)/)[1];
const consoleUrl = `https://127.0.0.1:${consolePort}`;

const browser = await launch();
try {
  // ---- a visit, recorded --------------------------------------------------------------
  const visit = await browser.newContext({ ignoreHTTPSErrors: true });
  const shopTab = await visit.newPage();
  await shopTab.goto(`${shop.origin}/shop.html`);
  await shopTab.waitForFunction(() => window.__veil && window.__veil.state().session);
  await shopTab.waitForTimeout(300);
  await shopTab.type('#card', CARD, { delay: 15 });
  await shopTab.waitForTimeout(2500);
  await shopTab.waitForFunction(() => window.__veil.state().pending.length === 0);
  const session = await shopTab.evaluate(() => window.__veil.state().session);
  await visit.close();
  check('the visit was recorded and acknowledged', /^[0-9a-f]{32}$/.test(session));

  // ---- the admin: one-time password, a new one, TOTP ------------------------------------
  const admin = await (await browser.newContext({ ignoreHTTPSErrors: true })).newPage();
  await admin.goto(consoleUrl);
  const autocomplete = await admin.getAttribute('form', 'autocomplete');
  check('the login form has autofill off', autocomplete === 'off');
  async function login(page, user, password) {
    await page.fill('input[name=user]', user);
    await page.fill('input[name=password]', password);
    await page.click('form button[type=submit]');
  }
  async function changePassword(page, old, fresh) {
    await page.waitForSelector('input[name=old]');
    await page.fill('input[name=old]', old);
    await page.fill('input[name=new]', fresh);
    await page.fill('input[name=again]', fresh);
    await page.click('form button[type=submit]');
  }
  await login(admin, 'admin', adminPassword);
  await changePassword(admin, adminPassword, 'admin passphrase in the browser');
  await admin.waitForSelector('.qr svg');
  const secret = (await admin.textContent('code')).trim();
  await admin.fill('input[name=code]', totp(secret));
  await admin.click('form button[type=submit]');
  await admin.waitForSelector('ul.codes li');
  check('the admin enrols TOTP by the QR code page and gets recovery codes',
    (await admin.$$('ul.codes li')).length === 10);
  await admin.click('text=Done');
  await admin.waitForSelector('#nav a');
  const adminNav = await admin.$$eval('#nav a', (as) => as.map((a) => a.textContent));
  check('the admin sees every page', ['Sessions', 'Alerts', 'Search', 'Users', 'Sites', 'Keys', 'Audit log']
    .every((n) => adminNav.includes(n)), adminNav.join(','));

  // ---- users of each role -------------------------------------------------------------------
  const passwords = {};
  for (const [name, role] of [['ada', 'alerts'], ['sam', 'standard'], ['ann', 'analytics']]) {
    await admin.click('#nav >> text=Users');
    await admin.waitForSelector('input[name=name]');
    await admin.fill('input[name=name]', name);
    await admin.selectOption('select[name=role]', role);
    await admin.fill('input[name=sites]', 'shop');
    await admin.click('form:has(input[name=name]) button[type=submit]');
    await admin.waitForFunction((n) => document.getElementById('notice').textContent.includes(`for ${n}:`), name);
    passwords[name] = (await admin.textContent('#notice')).match(/: (\S+) \(/)[1];
  }
  const expected = {
    ada: { nav: ['Alerts'], forbidden: ['/api/sessions', '/api/users', `/api/sessions/${session}/events`] },
    sam: { nav: ['Sessions', 'Alerts'], forbidden: ['/api/users', `/api/sessions/${session}/export`, '/api/search?site=shop&q=ab'] },
    ann: { nav: ['Sessions', 'Alerts', 'Search'], forbidden: ['/api/users', '/api/keys', '/api/audit'] },
  };
  for (const [name, want] of Object.entries(expected)) {
    const page = await (await browser.newContext({ ignoreHTTPSErrors: true })).newPage();
    await page.goto(consoleUrl);
    await login(page, name, passwords[name]);
    await changePassword(page, passwords[name], `${name} passphrase in the browser`);
    await page.waitForSelector('#nav a');
    const nav = await page.$$eval('#nav a', (as) => as.map((a) => a.textContent));
    check(`${name} sees only the pages of the role`, JSON.stringify(nav) === JSON.stringify(want.nav), nav.join(','));
    const statuses = await page.evaluate(async (paths) => Promise.all(paths.map(async (p) => (await fetch(p)).status)), want.forbidden);
    check(`${name}: API calls the UI hides are refused (403)`, statuses.every((s) => s === 403), statuses.join(','));
    const asAdmin = await page.evaluate(async () => (await fetch('/api/users', { method: 'POST',
      headers: { 'content-type': 'application/json' }, body: '{"name":"x","role":"admin"}' })).status);
    check(`${name}: a state change without the CSRF token is refused (403)`, asAdmin === 403);
    await page.context().close();
  }

  // ---- replay --------------------------------------------------------------------------------
  const analyst = await (await browser.newContext({ ignoreHTTPSErrors: true })).newPage();
  const analystRequests = [];
  analyst.on('request', (r) => analystRequests.push(r.url()));
  await analyst.goto(consoleUrl);
  await login(analyst, 'sam', 'sam passphrase in the browser');
  await analyst.waitForSelector(`a[href="#replay/${session}"]`);
  const cells = await analyst.$$eval(`tr:has(a[href="#replay/${session}"]) td`, (tds) => tds.map((td) => td.textContent));
  check('the session list shows pages, events and masks by kind',
    cells[4] === '1' && Number(cells[5]) > 10 && /field \d+/.test(cells[6]), cells.join(' | '));
  shopRequests = [];
  await analyst.click(`a[href="#replay/${session}"]`);
  await analyst.waitForFunction(() => window.__veilFirstFrameMs !== undefined, null, { timeout: 20000 });
  const firstFrame = await analyst.evaluate(() => window.__veilFirstFrameMs);
  console.log(`# first frame in the browser after ${Math.round(firstFrame)} ms`);
  await analyst.waitForFunction(() => window.__veilPlayer);
  await analyst.evaluate(() => {
    const p = window.__veilPlayer;
    const r = p.getReplayer ? p.getReplayer() : null;
    if (r) r.pause(r.getMetaData().totalTime + 1);
  });
  await analyst.waitForTimeout(500);
  const frame = analyst.frames().find((f) => f !== analyst.mainFrame());
  const text = frame ? await frame.evaluate(() => document.body.innerText) : '';
  const inputs = frame ? await frame.evaluate(() => [...document.querySelectorAll('input')].map((i) => i.value)) : [];
  check('the player shows the recorded page', text.includes('Welcome to the shop'), text.slice(0, 80));
  check('the card typed into the shop is masked on screen',
    !digitsOf([text, ...inputs].join(' ')).includes('4111111') && inputs.some((v) => v.includes('*')), inputs.join('|'));
  check("the analyst's browser made no request to the shop's origin during replay",
    shopRequests.length === 0 && !analystRequests.some((u) => u.startsWith(shop.origin)), shopRequests.join(','));
  check('the replay was audited', (await admin.evaluate(async () => {
    const r = await fetch('/api/audit?limit=10000');
    return (await r.json()).records.some((a) => a.action === 'session.replay' && a.actor === 'sam');
  })));
} finally {
  await browser.close();
  await stopVeil(serve);
  shop.server.close();
}
if (results.failed === 0) rmSync(work, { recursive: true, force: true });
else console.log(`# state kept in ${work}\n${serve.stderr}`);
console.log(`console: ${results.passed} passed, ${results.failed} failed`);
process.exit(results.failed === 0 ? 0 : 1);
