// What stands between opening a link and answering (issue 15's budget: ≤ 200 KB brotli until
// question 1 is tappable, whichever link the phone opened). Cold visits, no service worker, no
// HTTP cache, Chromium with CPU ×4 and Lighthouse's slow-4G profile (150 ms RTT, 1.6 Mbit/s down,
// 750 kbit/s up), several runs each:
//   « / » then the tap on « Commencer », and a shared question link: bytes over the wire until the
//   first question's answers are in the page and tappable, and the time it took (without the
//   user's own think time before the tap);
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

/** Records, in the page, when the app's first answer button is in place (the static shell has none). */
function watchFirstQuestion() {
  const check = () => {
    if (window.__firstQuestion || document.getElementById('app-shell')) return;
    const radio = document.querySelector('main input[type=radio]');
    if (radio && radio.getClientRects().length > 0 && !radio.disabled) window.__firstQuestion = performance.now();
  };
  new MutationObserver(check).observe(document, { subtree: true, childList: true, attributes: true });
}

async function visit(browser, base, path, startTap) {
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
  let thinkTime = 0;
  if (startTap) {
    const start = page.getByRole('link', { name: 'Commencer le diagnostic' });
    await start.waitFor({ state: 'visible', timeout: 120_000 });
    const ready = await page.evaluate(() => performance.now());
    await start.click();
    thinkTime = (await page.evaluate(() => performance.now())) - ready;
  }
  await page.waitForFunction(() => window.__firstQuestion, null, { timeout: 120_000, polling: 50 });
  const at = await page.evaluate(() => window.__firstQuestion);
  const byFile = [...files].map(([id, bytes]) => [urls.get(id) ?? '?', bytes]);
  const bytes = byFile.reduce((sum, [, b]) => sum + b, 0);
  await context.close();
  return { ms: at - thinkTime, bytes, byFile };
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
  const visits = process.env.ONLY_LIGHTHOUSE === '1' ? [] : [['« / » + « Commencer »', '/', true], [`question link ${QUESTION_LINK}`, QUESTION_LINK, false]];
  for (const [label, path, startTap] of visits) {
    const runs = [];
    for (let i = 0; i < RUNS; i++) runs.push(await visit(browser, base, path, startTap));
    console.log(`${label}: until question 1 is tappable (CPU ×4, slow 4G, cold, ${RUNS} runs)`);
    console.log(`  bytes over the wire: ${range(runs.map((r) => r.bytes / 1024), (v) => `${v.toFixed(1)} KB`)}`);
    console.log(`  time: ${range(runs.map((r) => r.ms / 1000), (v) => `${v.toFixed(2)} s`)}`);
    const largest = runs[0].byFile.sort((a, b) => b[1] - a[1]).slice(0, 6);
    console.log(`  largest (first run): ${largest.map(([p, b]) => `${p} ${(b / 1024).toFixed(1)} KB`).join(', ')}`);
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
