// run.mjs VEIL - records real pages with rrweb 2.2.2 in headless Chromium,
// masks each recording with `veil mask`, and checks, event by event, that
// every card number, password and sensitive field is masked in every
// keystroke state while ordinary text stays byte for byte; then replays the
// masked session in rrweb's Replayer.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  allOf, check, count, here, launch, leakedCardPrefix, leakedText, replay as replayIn, results,
  rrwebFiles, serveStatic,
} from './lib.mjs';

const veil = process.argv[2];
const work = mkdtempSync(path.join(tmpdir(), 'veil-browser-'));

const { server, origin } = await serveStatic({
  ...rrwebFiles,
  '/record.js': path.join(here, 'pages/record.js'),
  '/checkout.html': path.join(here, 'pages/checkout.html'),
  '/react.html': path.join(here, 'pages/react.html'),
});
const browser = await launch();
const replay = (events) => replayIn(browser, origin, events);

async function record(pageName, act) {
  const page = await browser.newPage();
  await page.goto(`${origin}/${pageName}`);
  await page.waitForFunction(() => window.__events && window.__events.length >= 2);
  await act(page);
  await page.waitForTimeout(400); // rrweb flushes mutations on the next tick
  const events = await page.evaluate(() => window.__events);
  await page.close();
  return events;
}

function mask(events, flags = []) {
  const input = JSON.stringify(events);
  const out = execFileSync(veil, ['mask', ...flags], { input, maxBuffer: 1 << 28 });
  return JSON.parse(out.toString());
}

// Input events (incremental source 5) for a node id.
const inputsFor = (events, id) =>
  events.filter((e) => e.type === 3 && e.data.source === 5 && e.data.id === id);

// The node id rrweb gave the element with this id attribute, from the snapshot.
function nodeId(events, domId) {
  let found = null;
  const walk = (n) => {
    if (!n || found !== null) return;
    if (n.attributes && n.attributes.id === domId) found = n.id;
    (n.childNodes || []).forEach(walk);
  };
  events.filter((e) => e.type === 2).forEach((e) => walk(e.data.node));
  return found;
}

// ---- the checkout page ---------------------------------------------------------
const CARD = '4111 1111 1111 1111';
const AMEX = '378282246310005';
const cards = ['4111111111111111', '5555555555554444', '4242424242424242', AMEX];
const checkoutText = ['Order #A-10293', 'Delivered 2026-11-23', 'Total $1,234.56', 'Ref 4111-2222'];

const checkout = await record('checkout.html', async (page) => {
  await page.type('#email', 'jane@example.com', { delay: 5 });
  await page.type('#card', CARD, { delay: 5 });
  await page.type('#cvc', '737', { delay: 5 });
  await page.selectOption('#exp', '07');
  await page.type('#pw', 'hunter2-Secret', { delay: 5 });
  await page.click('#show');
  await page.type('#pw', '!more', { delay: 5 });
  await page.type('#notes', `Please bill ${AMEX} thanks`, { delay: 5 });
  await page.click('#memo');
  await page.keyboard.type('card 5555 5555 5555 4444', { delay: 5 });
  await page.locator('#gift').type('6011000990139424', { delay: 5 });
});
writeFileSync(path.join(work, 'checkout.json'), JSON.stringify(checkout));
const cardId = nodeId(checkout, 'card');
check('rrweb recorded every keystroke into the card field',
  cardId !== null && inputsFor(checkout, cardId).length >= 16,
  `${cardId === null ? 'no node' : inputsFor(checkout, cardId).length} input events`);
check('the unmasked recording really holds the card number (the test can fail)',
  leakedCardPrefix(checkout, cards) !== '');
check('the unmasked recording really holds the password', leakedText(checkout, ['hunter2']) !== '');

const masked = mask(checkout);
check('veil mask keeps every event', masked.length === checkout.length);
check('no card number in any keystroke state (at most the 6-digit BIN)',
  leakedCardPrefix(masked, [...cards, '6011000990139424']) === '', leakedCardPrefix(masked, cards));
check('no password, before or after the show-password toggle',
  leakedText(masked, ['hunter2', 'Secret', '!more', 'more']) === '',
  leakedText(masked, ['hunter2', 'Secret', '!more', 'more']));
check('no CVC keystroke survives', allOf(inputsFor(masked, nodeId(checkout, 'cvc')), (e) => !/\d/.test(e.data.text)));
check('the card field gets a fixed-length mask (length not disclosed)',
  allOf(inputsFor(masked, cardId), (e) => e.data.text === '********'));
check('the email typed into an ordinary input is masked', leakedText(masked, ['jane@example.com', 'jane']) === '');
check('text under data-veil-sensitive is masked', leakedText(masked, ['078-05-1120']) === '');
check('the expiry <select> value is masked', allOf(inputsFor(masked, nodeId(checkout, 'exp')), (e) => !e.data.text.includes('07')));
for (const text of checkoutText)
  check(`"${text}" unchanged, as often as recorded`, count(masked, text) === count(checkout, text) && count(masked, text) > 0);
const sameNumbers = JSON.stringify(masked.map((e) => [e.type, e.timestamp])) === JSON.stringify(checkout.map((e) => [e.type, e.timestamp]));
check('event types and timestamps unchanged', sameNumbers);

const played = await replay(masked);
check('the masked session replays in rrweb Replayer without errors', played.errors.length === 0, played.errors.join('; '));
check('the replayed page shows the order heading', played.text.includes('Order #A-10293'));
check('the replayed page shows no card number', leakedCardPrefix([played.text, ...played.inputs], cards) === '');

// ---- React-style controlled inputs ---------------------------------------------
const react = await record('react.html', async (page) => {
  await page.type('#message', 'Happy birthday Sam', { delay: 5 });
  await page.type('#payment', CARD, { delay: 5 });
});
writeFileSync(path.join(work, 'react.json'), JSON.stringify(react));
const valueMutations = react.filter((e) => e.type === 3 && e.data.source === 0 && e.data.attributes.some((a) => 'value' in a.attributes));
check('rrweb recorded the value mirrored into attribute mutations', valueMutations.length >= 30);
const reactDefault = mask(react);
check('controlled inputs: no card prefix in attribute mutations or input events',
  leakedCardPrefix(reactDefault, cards) === '', leakedCardPrefix(reactDefault, cards));
// The input's own value: its input events and its mirrored value attribute.
// (The echo into page text is page text, kept unless the site marks it.)
const messageId = nodeId(react, 'message');
const ownValues = (evs) => [
  ...inputsFor(evs, messageId).map((e) => e.data.text),
  ...evs.filter((e) => e.type === 3 && e.data.source === 0)
    .flatMap((e) => e.data.attributes.filter((a) => a.id === messageId).map((a) => a.attributes.value)),
];
check('controlled inputs: the message value is masked by default in events and attributes',
  ownValues(reactDefault).length >= 30 && allOf(ownValues(reactDefault), (v) => !/[a-z]/i.test(v || '')));
const reactRecorded = mask(react, ['--record-inputs']);
check('with --record-inputs the message is kept', count(reactRecorded, 'Happy birthday Sam') > 0);
check('with --record-inputs a card typed into an ordinary field is still caught as it is typed',
  leakedCardPrefix(reactRecorded, cards) === '', leakedCardPrefix(reactRecorded, cards));
for (const text of ['Gift message', 'Shipping on 2026-12-01 for $49.00'])
  check(`"${text}" unchanged`, count(reactRecorded, text) === count(react, text) && count(react, text) > 0);
const reactPlayed = await replay(reactRecorded);
check('the controlled-input session replays without errors', reactPlayed.errors.length === 0, reactPlayed.errors.join('; '));

await browser.close();
server.close();
if (results.failed === 0) rmSync(work, { recursive: true, force: true });
else console.log(`# recordings kept in ${work}`);
console.log(`browser: ${results.passed} passed, ${results.failed} failed`);
process.exit(results.failed === 0 ? 0 : 1);
