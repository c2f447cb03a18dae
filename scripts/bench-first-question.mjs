// What stands between opening a link and answering (issue 15's budget: ≤ 200 KB brotli until
// question 1 is tappable, whichever link the phone opened). Cold visits, no service worker, no
// HTTP cache, Chromium with CPU ×4 and Lighthouse's slow-4G profile (150 ms RTT, 1.6 Mbit/s down,
// 750 kbit/s up), several runs each:
//   « / » then the tap on « Commencer », and a shared question link: bytes over the wire until the
//   first question's answers are in the page and tappable, and the time it took (without the
//   user's own think time before the tap) — twice: on the page the server sends (its static shell
//   has the question's options; the app records a tap made there when it takes over) and once the
//   app has taken over;
//   Lighthouse mobile (scripts/lighthouse.sh) on « / », an invitation link and a question link.
// A benchmark to quote, never a test: nothing fails on a figure.
// Usage: node scripts/bench-first-question.mjs  (needs `make build`; starts its own server)
//   RUNS=3 (each measure), LIGHTHOUSE=0 to skip Lighthouse, ONLY_LIGHTHOUSE=1 for it alone.
import { chromium } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { ARGS, CHROMIUM, range, startServer } from './bench-lib.mjs';

const RUNS = Number(process.env.RUNS ?? 3);
const SLOW_4G = { offline: false, latency: 150, downloadThroughput: (1.6 * 1024 * 1024) / 8, uploadThroughput: (750 * 1024) / 8 };
const QUESTION_LINK = '/questionnaire/dematerialisation/demat-demarches-en-ligne';

/**
 * Records, in the page, two moments: when the first answer buttons can be tapped — the served
 * page's own (a question link's static shell, crates/server/src/shells.rs: the app keeps that
 * tap), or the app's if it took over first — with the bytes of what had arrived by then; and when
 * the app's first answer button is in place.
 */
function watchFirstQuestion() {
  const bytesBy = (t) => performance.getEntries()
    .filter((e) => (e.entryType === 'navigation' || e.entryType === 'resource') && e.responseEnd > 0 && e.responseEnd <= t)
    .reduce((sum, e) => sum + (e.transferSize || 0), 0);
  window.__bytesBy = bytesBy;
  const check = () => {
    if (!window.__served) {
      // The served copy's options, or the app's if it took over first (a link it followed).
      const shell = document.getElementById('app-shell');
      const served = shell ? shell.querySelector('input[type=radio]') : document.querySelector('main input[type=radio]:not(:disabled)');
      if (served && served.getClientRects().length > 0) {
        window.__served = performance.now();
        window.__servedBytes = bytesBy(window.__served);
      }
    }
    if (window.__firstQuestion || document.getElementById('app-shell')) return;
    const radio = document.querySelector('main input[type=radio]');
    if (radio && radio.getClientRects().length > 0 && !radio.disabled) window.__firstQuestion = performance.now();
  };
  new MutationObserver(check).observe(document, { subtree: true, childList: true, attributes: true });
}

/**
 * One cold visit of `path`. `startTap`: « Commencer » is tapped on the home page. `served`: tapped
 * as soon as the served page shows it (a plain link then, if the app has not taken over yet) and
 * the visit ends when the served question can be answered; otherwise once the app shows it, and
 * the visit ends when the app's question can be answered.
 */
async function visit(browser, base, path, startTap, served) {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, serviceWorkers: 'block', locale: 'fr-FR' });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  await cdp.send('Network.emulateNetworkConditions', SLOW_4G);
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
  const files = new Map();
  const urls = new Map();
  cdp.on('Network.requestWillBeSent', (e) => urls.set(e.requestId, new URL(e.request.url).pathname));
  cdp.on('Network.loadingFinished', (e) => files.set(e.requestId, e.encodedDataLength));
  await page.addInitScript(watchFirstQuestion);

  await page.goto(base + path, { waitUntil: 'commit' });
  // Time and bytes spent on the home page before the tap, when the tap loads a new document.
  let before = { ms: 0, bytes: 0 };
  let thinkTime = 0;
  if (startTap) {
    const link = page.getByRole('link', { name: 'Commencer le diagnostic' });
    const start = served ? link : page.locator('#app-shell ~ *').getByRole('link', { name: 'Commencer le diagnostic' });
    await start.waitFor({ state: 'visible', timeout: 120_000 });
    const ready = await page.evaluate(() => performance.now());
    if (served) before = { ms: ready, bytes: await page.evaluate((t) => window.__bytesBy(t), ready) };
    await start.click();
    if (!served) thinkTime = (await page.evaluate(() => performance.now())) - ready;
  }
  const moment = served ? '__served' : '__firstQuestion';
  await page.waitForFunction((m) => window[m], moment, { timeout: 120_000, polling: 50 });
  const at = await page.evaluate((m) => window[m], moment);
  const byFile = [...files].map(([id, bytes]) => [urls.get(id) ?? '?', bytes]);
  const bytes = served
    ? before.bytes + (await page.evaluate(() => window.__servedBytes))
    : byFile.reduce((sum, [, b]) => sum + b, 0);
  await context.close();
  return { ms: before.ms + at - thinkTime, bytes, byFile };
}

function report(runs, served) {
  console.log(`  bytes over the wire: ${range(runs.map((r) => r.bytes / 1024), (v) => `${v.toFixed(1)} KB`)}`);
  console.log(`  time: ${range(runs.map((r) => r.ms / 1000), (v) => `${v.toFixed(2)} s`)}`);
  if (served) return;
  const largest = runs[0].byFile.sort((a, b) => b[1] - a[1]).slice(0, 6);
  console.log(`  largest (first run): ${largest.map(([p, b]) => `${p} ${(b / 1024).toFixed(1)} KB`).join(', ')}`);
}

/** One Lighthouse run; Lighthouse now and then fails to record its trace (NO_NAVSTART): retried. */
function lighthouse(url, attempts = 3) {
  try {
    return execFileSync('scripts/lighthouse.sh', [url], { encoding: 'utf8' });
  } catch (error) {
    if (attempts <= 1) throw error;
    return lighthouse(url, attempts - 1);
  }
}

const { base, stop } = await startServer();
try {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  const visits = process.env.ONLY_LIGHTHOUSE === '1' ? [] : [
    ['« / » + « Commencer »', '/', true],
    [`question link ${QUESTION_LINK}`, QUESTION_LINK, false],
  ];
  for (const [label, path, startTap] of visits) {
    for (const served of [true, false]) {
      const runs = [];
      for (let i = 0; i < RUNS; i++) runs.push(await visit(browser, base, path, startTap, served));
      const what = served ? "the served page's question 1 can be answered (the app keeps the tap)" : "the app's question 1 is tappable";
      console.log(`${label}: until ${what} (CPU ×4, slow 4G, cold, ${RUNS} runs)`);
      report(runs, served);
    }
  }
  await browser.close();


  if (process.env.LIGHTHOUSE !== '0') {
    const targets = [['/', '/'], ['invitation', '/rejoindre#ABCD-EFGH-bench'], ['question', QUESTION_LINK]];
    for (const [label, path] of targets) {
      const scores = [];
      const lcps = [];
      for (let i = 0; i < RUNS; i++) {
        const out = lighthouse(base + path);
        scores.push(Number(/^Performance\s+([\d.]+)/m.exec(out)[1]));
        lcps.push(Number(/LCP ([\d.]+)\s*s/.exec(out)?.[1] ?? NaN));
      }
      console.log(`Lighthouse mobile ${label} (${RUNS} runs): performance ${range(scores, (v) => v.toFixed(2))}, LCP ${range(lcps, (v) => `${v.toFixed(1)} s`)}`);
    }
  }
} finally {
  stop();
}
