// The length of the results page on a phone (issue 15): with a full answer set, the page's height
// in CSS pixels at 360 and 390 px wide, as it opens (sections closed) and with every section
// opened, and where the first action ends. Several runs, printed as ranges. A measure to quote:
// nothing is asserted.
//
// Usage: node scripts/measure-results.mjs   (needs `make build`; starts its own server)
//        DIST=/path/to/dist SERVER=/path/to/arobase-server node scripts/measure-results.mjs
//        (another build, e.g. the main branch's, for the figures before a change)
import { chromium } from '@playwright/test';
import { ARGS, startServer } from './bench-lib.mjs';

const RUNS = Number(process.env.RUNS ?? 3);
const DIST = process.env.DIST ?? 'dist';
const SERVER = process.env.SERVER ?? 'target/release/arobase-server';
const WIDTHS = [360, 390];

const { base, stop } = await startServer({ server: SERVER, dist: DIST });

const range = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const fmt = (v) => Math.round(v).toLocaleString('fr-FR');
  return sorted[0] === sorted[sorted.length - 1] ? `${fmt(sorted[0])} px` : `${fmt(sorted[0])}–${fmt(sorted[sorted.length - 1])} px`;
};

try {
  const questionnaire = await (await fetch(`${base}/api/questionnaire`)).json();
  // Every question answered, options taken in turn (the e2e tests' fixed answer set).
  const answers = {};
  let n = 0;
  for (const theme of questionnaire.themes) {
    for (const q of theme.questions) answers[q.id] = { option: q.answers[n++ % q.answers.length].id, updated_ms: 1 };
  }
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ARGS });
  for (const width of WIDTHS) {
    const closed = [];
    const open = [];
    const firstAction = [];
    for (let run = 0; run < RUNS; run++) {
      const context = await browser.newContext({ viewport: { width, height: 800 }, locale: 'fr-FR', isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
      const page = await context.newPage();
      await page.goto(`${base}/`);
      await page.evaluate(([answers, version]) => {
        localStorage.clear();
        localStorage.setItem('arobase.settings', JSON.stringify({ schema: 2, device_id: 'measure', current_campaign: '2026', town_name: 'Trilport', lang: 'fr' }));
        localStorage.setItem('arobase.campaign.2026', JSON.stringify({ schema: 2, id: '2026', content_version: version, created_ms: 1, answers, outbox: [] }));
      }, [answers, questionnaire.version]);
      await page.goto(`${base}/resultats`);
      await page.getByTestId('level').waitFor();
      await page.getByTestId('radar').waitFor();
      const height = () => page.evaluate(() => document.documentElement.scrollHeight);
      closed.push(await height());
      const top = page.getByTestId('top-actions').getByRole('listitem').first();
      if (await top.count()) {
        const box = await top.boundingBox();
        firstAction.push(box.y + box.height);
      }
      // Open every section, as a user tapping each heading would (a build without sections has none).
      const toggles = page.getByRole('heading', { level: 2 }).getByRole('button', { expanded: false });
      for (let left = await toggles.count(); left > 0; left = await toggles.count()) await toggles.first().click();
      open.push(await height());
      await context.close();
    }
    console.log(`${width} px wide: as it opens ${range(closed)}, every section open ${range(open)}` +
      (firstAction.length ? `, first action ends at ${range(firstAction)}` : ''));
  }
  await browser.close();
} finally {
  stop();
}
