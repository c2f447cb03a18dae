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

/** Records, in the page, when the app's first answer button is in place (the static shell's do not count). */
function watchFirstQuestion() {
  const check = () => {
    if (window.__firstQuestion || document.getElementById('app-shell')) return;
    const radio = document.querySelector('main input[type=radio]');
    if (radio && radio.getClientRects().length > 0 && !radio.disabled) window.__firstQuestion = performance.now();
  };
  new MutationObserver(check).observe(document, { subtree: true, childList: true, attributes: true });
}

function throttledContext(browser) {
  return browser.newContext({ viewport: { width: 390, height: 844 }, serviceWorkers: 'block', locale: 'fr-FR' }).then(async (context) => {
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    await cdp.send('Network.emulateNetworkConditions', SLOW_4G);
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
    return { context, page, cdp };
  });
}

/**
 * The page the server sends for `path`, as painted before the app runs: its first paint (when
 * the shell's heading, and a question's options, can be seen and tapped), the bytes it took (the
 * document and its render-blocking style sheets), and the shell's first link or option.
 */
async function servedVisit(browser, base, path) {
  const { context, page } = await throttledContext(browser);
  // What the served page holds, read before the app may take over.
  await page.addInitScript(() => document.addEventListener('DOMContentLoaded', () => {
    window.__options = document.querySelectorAll('#app-shell input[type=radio]').length;
    window.__start = document.querySelector('#app-shell a.button-primary')?.getAttribute('href');
  }));
  await page.goto(base + path, { waitUntil: 'domcontentloaded' });
  await page.waitForFunction(() => performance.getEntriesByName('first-contentful-paint').length > 0, null, { timeout: 120_000, polling: 50 });
  const served = await page.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0];
    const css = performance.getEntriesByType('resource').filter((e) => /\.css$/.test(new URL(e.name).pathname));
    return {
      ms: performance.getEntriesByName('first-contentful-paint')[0].startTime,
      bytes: nav.transferSize + css.reduce((sum, e) => sum + e.transferSize, 0),
      options: window.__options,
      start: window.__start,
    };
  });
  await context.close();
  return served;
}

/**
 * The question as the server sends it, reached from `path`: opened directly, or (home page)
 * through its « Commencer » link followed before the app runs — a plain link then.
 */
async function served(browser, base, path, startTap) {
  const first = await servedVisit(browser, base, path);
  if (!startTap) return { ms: first.ms, bytes: first.bytes, options: first.options };
  if (!first.start) throw new Error('the home page shell has no « Commencer » link');
  const question = await servedVisit(browser, base, first.start);
  return { ms: first.ms + question.ms, bytes: first.bytes + question.bytes, options: question.options };
}

/** Until the app's question 1 can be answered; `startTap`: « Commencer » tapped on the app's home page. */
async function visit(browser, base, path, startTap) {
  const { context, page, cdp } = await throttledContext(browser);
  const files = new Map();
  const urls = new Map();
  cdp.on('Network.requestWillBeSent', (e) => urls.set(e.requestId, new URL(e.request.url).pathname));
  cdp.on('Network.loadingFinished', (e) => files.set(e.requestId, e.encodedDataLength));
  await page.addInitScript(watchFirstQuestion);

  await page.goto(base + path, { waitUntil: 'commit' });
  let thinkTime = 0;
  if (startTap) {
    // The app's own link, in its <main id="contenu"> (the served page's is in #app-shell).
    const start = page.locator('#contenu').getByRole('link', { name: 'Commencer le diagnostic' });
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
    const servedRuns = [];
    for (let i = 0; i < RUNS; i++) servedRuns.push(await served(browser, base, path, startTap));
    console.log(`${label}: until the served page's question 1 can be answered, ${servedRuns[0].options} options (the app keeps the tap) (CPU ×4, slow 4G, cold, ${RUNS} runs)`);
    report(servedRuns, true);
    const runs = [];
    for (let i = 0; i < RUNS; i++) runs.push(await visit(browser, base, path, startTap));
    console.log(`${label}: until the app's question 1 is tappable (CPU ×4, slow 4G, cold, ${RUNS} runs)`);
    report(runs, false);
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
