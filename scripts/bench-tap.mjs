// Tap → persisted benchmark, measured in the browser by the app itself: each answer handler
// marks `arobase:tap` on entry and measures `arobase:tap-to-persisted` once localStorage holds the
// change (src/stores/browser.rs). We first answer every question (so the stored campaign has its
// real size), then tap answers many times, with and without 4x CPU throttling (a cheap Android).
// Usage: node scripts/bench-tap.mjs   (needs `make build`; starts its own server on a free port)
import { chromium } from '@playwright/test';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const TAPS = Number(process.env.TAPS ?? 300);
const ARGS = ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const dir = mkdtempSync(join(tmpdir(), 'arobase-bench-'));
const server = spawn('target/release/arobase-server',
  ['--listen', '127.0.0.1:0', '--database-url', `sqlite://${dir}/bench.sqlite`, '--dist', 'dist'],
  { stdio: ['ignore', 'pipe', 'inherit'] });
const base = await new Promise((resolve, reject) => {
  server.stdout.on('data', (chunk) => {
    const match = /http:\/\/[\d.:]+/.exec(chunk.toString());
    if (match) resolve(match[0]);
  });
  server.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
});

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

try {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS });
  const page = await browser.newPage({ viewport: { width: 412, height: 915 } });
  const questionnaire = await (await fetch(`${base}/api/questionnaire`)).json();
  const questions = questionnaire.themes.flatMap((t) => t.questions.map((q) => ({ theme: t.id, ...q })));

  for (const q of questions) {
    await page.goto(`${base}/questionnaire/${q.theme}/${q.id}`);
    await page.locator(`input[type=radio][value="${q.answers[2].id}"]`).check();
    await page.locator('textarea').fill('Commentaire de test : qui sait, ce qui est prévu, le budget voté.');
  }
  const stored = await page.evaluate(() =>
    Object.keys(localStorage).filter((k) => k.startsWith('arobase.campaign.')).map((k) => localStorage.getItem(k).length)[0]);

  const cdp = await page.context().newCDPSession(page);
  for (const throttle of [1, 4]) {
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: throttle });
    const q = questions[0];
    await page.goto(`${base}/questionnaire/${q.theme}/${q.id}`);
    await page.evaluate(() => performance.clearMeasures());
    const options = q.answers.map((a) => a.id);
    for (let i = 0; i < TAPS; i++) {
      await page.locator(`input[type=radio][value="${options[i % options.length]}"]`).click();
    }
    const durations = await page.evaluate(() =>
      performance.getEntriesByName('arobase:tap-to-persisted').map((e) => e.duration));
    durations.sort((a, b) => a - b);
    console.log(`CPU x${throttle}: ${durations.length} taps, campaign document ${(stored / 1024).toFixed(1)} K chars — ` +
      `p50 ${percentile(durations, 50).toFixed(2)} ms, p95 ${percentile(durations, 95).toFixed(2)} ms, ` +
      `max ${durations[durations.length - 1].toFixed(2)} ms (goal p95 ≤ 16 ms)`);
  }
  await browser.close();
} finally {
  server.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}
