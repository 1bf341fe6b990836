// snippet.mjs VEIL SNIPPET - the product end to end in a real browser: a test
// shop page with the snippet tag records into `veil serve` over WSS while
// headless Chromium types a card number key by key, a password and an email,
// goes to a second page and back. The stored session, read back with
// `veil export`, must hold none of them, hold both pages' text, and replay in
// rrweb's Replayer.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  check, count, freePort, launch, leakedCardPrefix, leakedText, replay, results, rrwebFiles,
  serveStatic, startVeil, stopVeil,
} from './lib.mjs';

const [veil] = process.argv.slice(2);
const work = mkdtempSync(path.join(tmpdir(), 'veil-snippet-'));

const CARD = '4242 4242 4242 4242';
const PASSWORD = 'hunter2-Secret';
const EMAIL = 'jane.doe@example.com';
const ingestPort = await freePort();

const shop = () => `<!doctype html><html lang=en><meta charset=utf-8><title>Test shop</title>
<script src="https://127.0.0.1:${ingestPort}/veil.js" data-veil-site="shop-key" async></script>
<h1>Welcome to the test shop</h1><p>Free delivery on orders over 40 euros.</p>
<form onsubmit="return false">
<label>Email <input id=email type=email></label>
<label>Card <input id=card autocomplete=cc-number inputmode=numeric></label>
<label>Password <input id=pw type=password></label>
</form><a id=next href="/about.html">About us</a></html>`;
const about = () => `<!doctype html><html lang=en><meta charset=utf-8><title>About</title>
<script src="https://127.0.0.1:${ingestPort}/veil.js" data-veil-site="shop-key" async></script>
<h1>About the test shop</h1><p>Family business since 1987.</p>
<a id=back href="/shop.html">Back to the shop</a></html>`;
// a single-page app whose router kept history.pushState before the async
// snippet loaded, as bundles that load first do: the wrapper never sees it
const app = () => `<!doctype html><html lang=en><meta charset=utf-8><title>Gift shop</title>
<script>const push = history.pushState.bind(history);
window.toCheckout = () => { push({}, '', '/app/checkout');
  document.getElementById('view').innerHTML = '<p class=recipient>Gift for Rosalind Featherstone</p>'; };</script>
<script src="https://127.0.0.1:${ingestPort}/veil.js" data-veil-site="shop-key" async></script>
<div id=view><p class=recipient>Browse our catalogue</p></div></html>`;
const { server, origin } = await serveStatic({
  ...rrwebFiles, '/shop.html': shop, '/about.html': about, '/app.html': app,
});

// ---- veil serve, recording for this origin -------------------------------------------
const config = path.join(work, 'veil.conf');
writeFileSync(config, `[server]
ingest_port = ${ingestPort}
console_port = ${await freePort()}
state_dir = ${work}/state
[site shop]
key = shop-key
origin = ${origin}
[page shop /app/checkout]
mask_selector = .recipient
`);
const serve = await startVeil(veil, config);
check('veil serve serves the built snippet', !serve.stdout.includes('not built'));

// ---- the visit ---------------------------------------------------------------------
const browser = await launch();
const context = await browser.newContext({ ignoreHTTPSErrors: true });
const page = await context.newPage();
const pageErrors = [];
page.on('pageerror', (e) => pageErrors.push(String(e)));
const recording = () => page.waitForFunction(() => window.__veil && window.__veil.state().session);
await page.goto(`${origin}/shop.html`);
await recording();
const session = await page.evaluate(() => window.__veil.state().session);
await page.waitForTimeout(300);
await page.type('#card', CARD, { delay: 20 });
await page.type('#pw', PASSWORD, { delay: 10 });
await page.type('#email', EMAIL, { delay: 10 });
await page.click('#next');
await page.waitForURL('**/about.html');
await recording();
await page.waitForTimeout(300);
await page.click('#back');
await page.waitForURL('**/shop.html');
await recording();
await page.waitForTimeout(300);
const sameSession = await page.evaluate(() => window.__veil.state().session);
check('the session continues across the navigations', sameSession === session, `${session} then ${sameSession}`);
// pagehide keeps each page's last events in sessionStorage for the next page
await page.goto(`${origin}/about.html`);
await recording();
await page.waitForTimeout(2500); // the snippet sends a batch at least every 2 s
await page.waitForFunction(() => window.__veil.state().pending.length === 0, null, { timeout: 15000 })
  .catch(() => {});
const pending = await page.evaluate(() => window.__veil.state().pending.length);
check('every batch was acknowledged', pending === 0, `${pending} unacked`);
check('the snippet never threw into the page', pageErrors.length === 0, pageErrors.join('; '));

// ---- what was stored -----------------------------------------------------------------
const exported = JSON.parse(execFileSync(veil, ['export', '--config', config, session],
  { maxBuffer: 1 << 28 }).toString());
const sessionsList = execFileSync(veil, ['sessions', '--config', config]).toString();
check('one session was stored for the visit', sessionsList.split('\n').filter((l) => /^[0-9a-f]{32} /.test(l)).length === 1,
  sessionsList);
check('the stored session holds no card number (at most its BIN)',
  leakedCardPrefix(exported, ['4242424242424242']) === '', leakedCardPrefix(exported, ['4242424242424242']));
check('the stored session holds no password', leakedText(exported, [PASSWORD, 'hunter2']) === '',
  leakedText(exported, [PASSWORD, 'hunter2']));
check('the stored session holds no email', leakedText(exported, [EMAIL, 'jane.doe']) === '',
  leakedText(exported, [EMAIL, 'jane.doe']));
for (const text of ['Welcome to the test shop', 'Free delivery on orders over 40 euros.',
  'About the test shop', 'Family business since 1987.'])
  check(`"${text}" is stored as the page showed it`, count(exported, text) > 0);
const metas = exported.filter((e) => e.type === 4).map((e) => new URL(e.data.href).pathname);
check('all four page views are in the session, in order',
  JSON.stringify(metas) === JSON.stringify(['/shop.html', '/about.html', '/shop.html', '/about.html']),
  JSON.stringify(metas));
const typed = exported.filter((e) => e.type === 3 && e.data.source === 5).length;
check('the keystrokes are in the session (masked)', typed >= CARD.length, `${typed} input events`);
const visitor = exported.find((e) => e.type === 5 && e.data.tag === 'veil-visitor');
check('the visitor IP is stored truncated', visitor && visitor.data.payload.ip === '127.0.0.0',
  JSON.stringify(visitor));

const played = await replay(browser, origin, exported);
check('the stored session replays in rrweb Replayer without errors', played.errors.length === 0,
  played.errors.join('; '));
check('the replay ends on the about page', played.text.includes('Family business since 1987.'));

// ---- a single-page app's navigation the history wrapper cannot see ------------------
const appPage = await (await browser.newContext({ ignoreHTTPSErrors: true })).newPage();
await appPage.goto(`${origin}/app.html`);
await appPage.waitForFunction(() => window.__veil && window.__veil.state().session);
const appSession = await appPage.evaluate(() => window.__veil.state().session);
await appPage.waitForTimeout(300);
await appPage.evaluate(() => window.toCheckout());
await appPage.waitForTimeout(2500);
await appPage.waitForFunction(() => window.__veil.state().pending.length === 0, null, { timeout: 15000 })
  .catch(() => {});
const appStored = JSON.parse(execFileSync(veil, ['export', '--config', config, appSession],
  { maxBuffer: 1 << 28 }).toString());
const urls = appStored.filter((e) => e.type === 5 && e.data.tag === 'veil-url')
  .map((e) => new URL(e.data.payload).pathname);
check('a pushState kept from before the snippet still sends veil-url', urls.includes('/app/checkout'),
  JSON.stringify(urls));
check('the checkout override masks what the app then shows', leakedText(appStored, ['Rosalind', 'Featherstone']) === '',
  leakedText(appStored, ['Rosalind', 'Featherstone']));
check('the catalogue before it is stored as shown', count(appStored, 'Browse our catalogue') > 0);

await browser.close();
const code = await stopVeil(serve);
check('veil serve stops cleanly', code === 0, `exit ${code}: ${serve.stderr}`);
server.close();
if (results.failed === 0) rmSync(work, { recursive: true, force: true });
else console.log(`# state kept in ${work}`);
console.log(`snippet: ${results.passed} passed, ${results.failed} failed`);
process.exit(results.failed === 0 ? 0 : 1);
