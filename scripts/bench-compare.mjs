// The phone's cost of rendering the results with the comparison with comparable towns (issue 12):
// time from navigation to the results page drawn, with the group's figures (radar median, picker,
// levels) and without, and the time to open the group's details — Chromium, CPU ×4 (a cheap
// Android), several runs each, printed as ranges. A benchmark: nothing is asserted.
//
// The town's space is real (created through the UI on a throw-away server) and every question
// answered; the figures are a synthetic page of a shown stratum with every axis and question
// (the most the page can draw), kept in the phone's cache as the app keeps them. The fetch of
// newer figures is made to fail (offline-like), so the cached page stays what is drawn.
// Usage: node scripts/bench-compare.mjs   (needs `make build`; starts its own server)
import { chromium } from '@playwright/test';
import { ARGS, startServer } from './bench-lib.mjs';

const RUNS = Number(process.env.RUNS ?? 5);
const THROTTLE = Number(process.env.THROTTLE ?? 4);

const { base, stop } = await startServer();

const range = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return `${sorted[0].toFixed(0)}–${sorted[sorted.length - 1].toFixed(0)} ms (median ${sorted[Math.floor(sorted.length / 2)].toFixed(0)})`;
};

/** A page of figures as `GET /api/network/aggregates` sends it: the stratum shown with every
 *  axis and question, the other groups withheld. */
function syntheticPage(questionnaire, campaign, now) {
  const shown = {
    status: 'shown',
    group: { kind: 'strate', id: '3500-4999', label: '3 500 à 4 999 habitants' },
    campaign, towns: 412, computed_ms: now,
    overall: { q1: 35, median: 48, q3: 61 },
    axes: questionnaire.axes.map((a, i) => ({ axis: a.id, q1: 25 + i * 5, median: 40 + i * 5, q3: 55 + i * 5 })),
    levels: [1, 2, 3, 4, 5].map((at) => ({ at, towns: [40, 120, 150, 80, 22][at - 1] })),
    questions: questionnaire.themes.flatMap((t) => t.questions).map((q, i) => ({ question: q.id, in_place_pct: (i * 35) % 100 - ((i * 35) % 100) % 5 })),
  };
  const withheld = (kind, id, label, needed) => ({ status: 'withheld', group: { kind, id, label }, campaign, needed });
  return {
    campaign, fetched_ms: now,
    groups: [shown, withheld('departement', '14', 'Calvados (14)', 2), withheld('region', '28', 'Normandie', null),
      { ...shown, group: { kind: 'national', id: 'fr', label: 'France entière' }, towns: 1309 }],
  };
}

try {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS });
  const context = await browser.newContext({ viewport: { width: 360, height: 800 }, locale: 'fr-FR' });
  const page = await context.newPage();
  const questionnaire = await (await fetch(`${base}/api/questionnaire`)).json();
  const questions = questionnaire.themes.flatMap((t) => t.questions.map((q) => ({ theme: t.id, ...q })));

  // A real town space (Cabourg, 3 500 – 4 999 inhabitants), every question answered.
  await page.goto(`${base}/commune`);
  await page.getByLabel('Rechercher votre commune').fill('Cabourg');
  await page.getByRole('button', { name: 'Rechercher' }).click();
  await page.getByRole('button', { name: /^Cabourg \(/ }).first().click();
  await page.getByLabel("Votre nom d'affichage").first().fill('Banc d’essai');
  await page.getByLabel('Votre rôle').first().selectOption({ label: 'Maire' });
  await page.getByRole('button', { name: "Créer l'espace" }).click();
  await page.getByTestId('enrolled').waitFor();
  for (const [i, q] of questions.entries()) {
    await page.goto(`${base}/questionnaire/${q.theme}/${q.id}`);
    await page.locator(`input[type=radio][value="${q.answers[i % 4].id}"]`).check();
  }
  const { commune, campaign } = await page.evaluate(() => {
    const settings = JSON.parse(localStorage.getItem('arobase.settings'));
    return { commune: settings.sync.town.commune.code, campaign: settings.current_campaign };
  });
  const cache = JSON.stringify({ schema: 2, commune, page: syntheticPage(questionnaire, campaign, Date.now()) });
  await context.route('**/api/network/aggregates*', (route) => route.abort());

  const cdp = await context.newCDPSession(page);
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: THROTTLE });
  const measure = async (withFigures) => {
    await page.evaluate(([on, text]) => (on ? localStorage.setItem('arobase.network', text) : localStorage.removeItem('arobase.network')), [withFigures, cache]);
    await page.goto(`${base}/resultats`);
    const done = withFigures ? '[data-testid=radar-median]' : '[data-testid=radar-current]';
    await page.waitForSelector(done, { state: 'attached' });
    await page.locator('[data-testid=compare]').waitFor({ state: 'attached' });
    return page.evaluate(() => performance.now());
  };
  const open = async () => {
    const started = await page.evaluate(() => performance.now());
    await page.getByText('Niveaux @ et questions du groupe', { exact: true }).click();
    await page.locator('[data-testid=level-distribution]').waitFor();
    return (await page.evaluate(() => performance.now())) - started;
  };
  const without = [];
  const withFigures = [];
  const details = [];
  await measure(true); // warm the HTTP cache and the chunks
  for (let run = 0; run < RUNS; run++) {
    without.push(await measure(false));
    withFigures.push(await measure(true));
    details.push(await open());
  }
  console.log(`Results page, navigation to drawn, CPU ×${THROTTLE}, ${RUNS} runs, ${questions.length} questions answered:`);
  console.log(`  without the comparison: ${range(without)}`);
  console.log(`  with the comparison (radar median and band, picker, date): ${range(withFigures)}`);
  console.log(`  opening « Niveaux @ et questions du groupe » (levels, ${questions.length} question lines): ${range(details)}`);
  await browser.close();
} finally {
  stop();
}
