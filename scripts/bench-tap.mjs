// Tap → persisted benchmark, measured in the browser by the app itself: each answer handler
// marks `arobase:tap` on entry and measures `arobase:tap-to-persisted` once localStorage holds the
// change (src/stores/browser.rs). We first answer every question (so the stored campaign has its
// real size), then tap answers many times, with and without 4x CPU throttling (a cheap Android).
// Then the same with a long log: LOG_OPS (default 10,000) earlier operations of another phone are
// added to the stored campaign — a history per question, each current answer replacing the last
// of its question, so the answers shown stay the same — and the page reloads.
// Usage: node scripts/bench-tap.mjs   (needs `make build`; starts its own server on a free port)
import { chromium } from '@playwright/test';
import { ARGS, startServer } from './bench-lib.mjs';

const TAPS = Number(process.env.TAPS ?? 300);
const LOG_OPS = Number(process.env.LOG_OPS ?? 10000);

const { base, stop } = await startServer();

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
  const campaignSize = () => page.evaluate(() => {
    const keys = Object.keys(localStorage).filter((k) => k.startsWith('arobase.campaign.'));
    const doc = JSON.parse(localStorage.getItem(keys.find((k) => /^arobase\.campaign\.\d+$/.test(k))));
    return { chars: keys.reduce((n, k) => n + localStorage.getItem(k).length, 0), ops: Object.keys(doc.log ?? {}).length };
  });

  const cdp = await page.context().newCDPSession(page);
  const measure = async (label) => {
    const { chars, ops } = await campaignSize();
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
      console.log(`${label}, CPU x${throttle}: ${durations.length} taps, log ${ops} operations, campaign ${(chars / 1024).toFixed(1)} K chars — ` +
        `p50 ${percentile(durations, 50).toFixed(2)} ms, p95 ${percentile(durations, 95).toFixed(2)} ms, ` +
        `max ${durations[durations.length - 1].toFixed(2)} ms (goal p95 ≤ 16 ms)`);
    }
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 1 });
  };

  await measure('short log');
  if (LOG_OPS > 0) {
    // Written in the stored document's own format (schema 2: one document; a later schema's
    // upgrade reads it), then the app reloads it.
    await page.evaluate((count) => {
      const key = Object.keys(localStorage).find((k) => /^arobase\.campaign\.\d+$/.test(k));
      const doc = JSON.parse(localStorage.getItem(key));
      const current = Object.values(doc.log);
      const hex = (n, width) => n.toString(16).padStart(width, '0');
      const last = {};
      for (let i = 0; i < count; i++) {
        const mine = current[i % current.length];
        const id = `0190a0b0-${hex(i >> 12, 4)}-7${hex(i & 0xfff, 3)}-8000-${hex(i, 12)}`;
        doc.log[id] = {
          id, device: 'bench-other', campaign: mine.campaign, question: mine.question,
          option: mine.option, comment: 'Réponse plus ancienne, donnée sur un autre téléphone.',
          clock: { wall_ms: 1_700_000_000_000 + i, counter: 0, device: 'bench-other' },
          ...(last[mine.question] ? { base: [last[mine.question]] } : {}),
        };
        last[mine.question] = id;
      }
      for (const op of current) {
        if (last[op.question]) op.base = [last[op.question]];
      }
      localStorage.setItem(key, JSON.stringify(doc));
    }, LOG_OPS);
    await page.reload();
    await measure(`log +${LOG_OPS}`);
  }
  await browser.close();
} finally {
  stop();
}
