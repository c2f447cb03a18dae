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
  // Schema 3: a head `arobase.campaign.<id>` and segments `arobase.campaign.<id>.log.<n>`.
  const campaignSize = () => page.evaluate(() => {
    const keys = Object.keys(localStorage).filter((k) => k.startsWith('arobase.campaign.'));
    const head = JSON.parse(localStorage.getItem(keys.find((k) => /^arobase\.campaign\.\d+$/.test(k))));
    const ops = (head.segments ?? []).reduce((n, s) => n + s.count, 0) + (head.tail ? 1 : 0);
    return { chars: keys.reduce((n, k) => n + localStorage.getItem(k).length, 0), ops };
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
    // Written in the stored format (schema 3): the older operations in new segments after the
    // last one, then the current operations again (a later entry replaces an earlier one) with
    // their base naming the last older one of their question; the head lists the new segments.
    await page.evaluate((count) => {
      const key = Object.keys(localStorage).find((k) => /^arobase\.campaign\.\d+$/.test(k));
      const head = JSON.parse(localStorage.getItem(key));
      const current = head.segments.flatMap((s) => JSON.parse(localStorage.getItem(`${key}.log.${s.n}`)));
      if (head.tail) current.push(head.tail);
      const hex = (n, width) => n.toString(16).padStart(width, '0');
      const last = {};
      const older = [];
      for (let i = 0; i < count; i++) {
        const mine = current[i % current.length];
        const id = `0190a0b0-${hex(i >> 12, 4)}-7${hex(i & 0xfff, 3)}-8000-${hex(i, 12)}`;
        older.push({
          id, device: 'bench-other', campaign: mine.campaign, question: mine.question,
          option: mine.option, comment: 'Réponse plus ancienne, donnée sur un autre téléphone.',
          clock: { wall_ms: 1_700_000_000_000 + i, counter: 0, device: 'bench-other' },
          ...(last[mine.question] ? { base: [last[mine.question]] } : {}),
        });
        last[mine.question] = id;
      }
      const replaced = current
        .filter((op) => op.id !== head.tail?.id && last[op.question])
        .map((op) => ({ ...op, base: [last[op.question]] }));
      if (head.tail && last[head.tail.question]) head.tail.base = [last[head.tail.question]];
      const entries = [...older, ...replaced];
      let n = head.segments.length ? head.segments[head.segments.length - 1].n + 1 : 0;
      for (let i = 0; i < entries.length; i += 200, n++) {
        const segment = entries.slice(i, i + 200);
        localStorage.setItem(`${key}.log.${n}`, JSON.stringify(segment));
        head.segments.push({ n, count: segment.length });
      }
      localStorage.setItem(key, JSON.stringify(head));
    }, LOG_OPS);
    await page.reload();
    await measure(`log +${LOG_OPS}`);
  }
  await browser.close();
} finally {
  stop();
}
