import { test, expect, type Browser, type Page } from '@playwright/test';
import { e2eDatabase } from '../../playwright.config';
import { addOperator, ConsoleScreen } from './pages/association';
import { CompareSection, loadContent, type NetworkQuestion } from './pages/network';
import { PwaApp } from './pages/pwa';
import { QuestionScreen } from './pages/questionnaire';
import { domainScores, ResultsScreen } from './pages/results';
import { TownScreen } from './pages/town';

// Du local au global: six towns of one population stratum (3 500 – 4 999 inhabitants, six
// départements) answer, validate and release their diagnostic, each on its own phone; an
// operator verifies their spaces; the server publishes (playwright.config.ts sets
// AROBASE_PUBLICATION_INTERVAL_SECS low); a seventh town of the same stratum sees where it stands
// — the group's median on its radar, the @ levels, « X % des communes comparables ont ceci en
// place » — and still sees it offline after one online visit; the operator's dashboard and open
// data show the same group, and the one town that chose to be named.
//
// Every answer goes through the UI (four questions per town, one per axis, so each axis has
// figures): quick enough, and it is what the towns do.

const PHONE = { width: 360, height: 800 };
const LAPTOP = { width: 1280, height: 800 };
const SIX = ['Arbent', 'Belleu', 'Avermes', 'Sospel', 'Saverdun', 'Espalion'];
const SEVENTH = 'Cabourg';
/** The stage each of the six towns gives every question (stage 3 is « en place »). */
const STAGES = [4, 3, 3, 3, 1, 0];

async function phone(browser: Browser, baseURL: string, viewport = PHONE): Promise<Page> {
  const context = await browser.newContext({ baseURL, viewport, locale: 'fr-FR' });
  return context.newPage();
}

/** QUARTILE.INCL's median of scores, rounded like the domain crate. */
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const position = 0.5 * (sorted.length - 1);
  const low = Math.floor(position);
  const high = Math.ceil(position);
  return Math.round(sorted[low] + (sorted[high] - sorted[low]) * (position - low));
}

async function answer(page: Page, questions: NetworkQuestion[], stage: number) {
  const screen = new QuestionScreen(page);
  for (const question of questions) {
    await screen.open({ theme: question.theme, id: question.id, text: question.text, options: [] });
    await screen.choose(question.options.find((o) => o.id === `stage-${stage}`)!.label);
  }
}

test('six towns release, a seventh compares itself with them, online then offline', async ({ browser, baseURL, request }) => {
  test.setTimeout(300_000);
  const { axes, questions } = await loadContent(request);
  // One question per axis, on the default scale (stage-0 … stage-4).
  const staged = questions.filter((q) => [0, 1, 2, 3, 4].every((s) => q.options.some((o) => o.id === `stage-${s}`)));
  const chosen = axes.map((axis) => staged.find((q) => q.axes.includes(axis))!);
  expect(chosen.every(Boolean), 'a question on the default scale for every axis').toBe(true);
  const picked = [...new Map(chosen.map((q) => [q.id, q])).values()];

  // 1. Six phones, six towns: create the space, answer, validate, share anonymously, sync.
  const phones: Page[] = [];
  for (const [i, commune] of SIX.entries()) {
    const page = await phone(browser, baseURL!);
    phones.push(page);
    const town = new TownScreen(page);
    await town.open();
    await town.createSpace(commune, `Maire de ${commune}`, 'Maire');
    await answer(page, picked, STAGES[i]);
    await new ResultsScreen(page).open();
    await page.getByRole('button', { name: 'Valider le diagnostic', exact: true }).click();
    await expect(page.getByTestId('validated')).toContainText('Diagnostic validé le');
    // The first town lets the association see its results; the others share anonymously.
    const level = i === 0 ? 'Partager avec le nom de la commune' : 'Partager anonymement';
    await page.getByRole('radio', { name: level }).check();
    await expect(page.getByRole('radio', { name: level })).toBeChecked();
    await town.open();
    await town.sync();
  }

  // 2. The association verifies the six spaces (only verified spaces count in the figures).
  const operatorPage = await phone(browser, baseURL!, LAPTOP);
  const operator = new ConsoleScreen(operatorPage);
  await operator.enrol(addOperator(e2eDatabase, 'Nadia Roux'), 'Ordinateur du réseau');
  await operator.open();
  for (const commune of SIX) await operator.verify(commune);

  // 3. The seventh town, on a phone with its service worker (for the offline visit).
  const seventh = await PwaApp.launch(baseURL!);
  const page = seventh.page;
  await page.setViewportSize(PHONE);
  const town = new TownScreen(page);
  await town.open();
  await town.createSpace(SEVENTH, 'Maire de Cabourg', 'Maire');
  await answer(page, picked, 1);
  const results = new ResultsScreen(page);
  const compare = new CompareSection(page);
  await results.open();
  await expect(compare.heading).toBeVisible();
  // Publication runs every few seconds here: reopen the results until the group shows.
  await expect(async () => {
    await results.open();
    await expect(compare.radarWithGroup).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 60_000 });

  // The stratum is the first group and is selected by default, with its size; the seventh
  // town's département (none of the six) says how many more must share.
  await expect(compare.date).toBeVisible();
  const selected = compare.picker.locator('option:checked');
  await expect(selected).toContainText('3 500 à 4 999 habitants');
  await expect(compare.picker.locator('option', { hasText: 'Calvados' })).toContainText('Encore 5 communes doivent partager');
  // The operator verifies the spaces one by one while publication runs every 2 s: a round may
  // publish the stratum with the first five, and then the disclosure rule holds the sixth back
  // (it would be a group of one between two publications). Either way, the figures are the
  // domain crate's over the towns counted — the first `counted` verified.
  const counted = Number(/(\d+) communes/.exec((await selected.textContent())!)![1]);
  expect([5, 6]).toContain(counted);
  const stages = STAGES.slice(0, counted);

  // The radar's median is the domain crate's, per axis, from the towns' own scores.
  const scores = stages.map((stage) => domainScores(Object.fromEntries(picked.map((q) => [q.id, { option: `stage-${stage}` }]))));
  const expected = scores[0].axes.map((_axis: { id: string }, a: number) => median(scores.map((s) => s.axes[a].score)));
  expect(await compare.radarMedians()).toEqual(expected);
  await expect(page.getByTestId('axis-table').getByRole('columnheader', { name: 'Médiane du groupe' })).toBeVisible();
  // On a 360 px phone the comparison stays short (a picker and closed details): it does not
  // double the results page's length.
  const sectionHeight = (await compare.section.boundingBox())!.height;
  const pageHeight = await page.evaluate(() => document.documentElement.scrollHeight);
  console.log(`results page at 360 px: ${pageHeight} px, of which the comparison ${Math.round(sectionHeight)} px`);
  expect(sectionHeight, `comparison ${sectionHeight} px of a ${pageHeight} px page`).toBeLessThan((pageHeight - sectionHeight) / 2);

  // Levels: the towns counted, this town's level marked; per question, the share « en place »
  // (stage 3 or more) rounded to 5 %: 4 of 5 → 80 %, 4 of 6 → 65 %.
  const pct = Math.floor((200 * stages.filter((s) => s >= 3).length + 5 * counted) / (10 * counted)) * 5;
  await compare.openDetails();
  const counts = await compare.levels.getByRole('listitem').allTextContents();
  expect(counts.reduce((sum, line) => sum + Number(/(\d+) communes?/.exec(line)?.[1] ?? 0), 0)).toBe(counted);
  await expect(compare.levels.getByRole('listitem').filter({ hasText: 'votre commune' })).toHaveCount(1);
  // The bars are drawn (the CSP refuses inline style attributes; the widths are set through the CSSOM).
  const widths = await compare.levels.locator('.level-bar-fill').evaluateAll((bars) => bars.map((b) => b.getBoundingClientRect().width));
  expect(Math.max(...widths), `level bar widths ${widths}`).toBeGreaterThan(10);
  await expect(compare.share(pct)).toHaveCount(picked.length);
  // Next to the answer on the question page too.
  const question = new QuestionScreen(page);
  await question.open({ theme: picked[0].theme, id: picked[0].id, text: picked[0].text, options: [] });
  await expect(compare.share(pct)).toBeVisible();

  // 4. Offline after that visit: the comparison is still there, with its date.
  await seventh.waitForOfflineReady();
  await seventh.goOffline();
  await seventh.reload();
  await results.open();
  await expect(compare.radarWithGroup).toBeVisible();
  await expect(compare.date).toBeVisible();
  await expect(compare.offline).toBeVisible();
  await question.open({ theme: picked[0].theme, id: picked[0].id, text: picked[0].text, options: [] });
  await expect(compare.share(pct)).toBeVisible();
  seventh.app.expectNoForeignRequests();

  // 5. The association sees the same figures: the town released named is listed with its
  // results (axis titles, not ids), the anonymous ones are not, and the open data holds the
  // stratum's medians — the ones on the seventh town's radar — and nothing for a group below 5.
  await operator.section('Tableau de bord').click();
  await expect(operator.departementMap).toBeVisible();
  const named = operator.dashboard.getByRole('table', { name: 'Résultats des communes qui ont choisi d’être nommées à l’association' });
  await expect(named.getByRole('rowheader')).toHaveText([/^Arbent /]);
  await expect(named.getByRole('row').nth(1)).toContainText('Démocratie et services publics');
  const file = await operator.downloadOpenData();
  const rows = file.bytes.subarray(3).toString('utf8').trim().split('\r\n').map((line) => line.split(';'));
  const column = Object.fromEntries(rows[0].map((name, i) => [name, i]));
  const stratum = rows.filter((r) => r[column.groupe] === 'strate:3500-4999');
  expect(new Set(stratum.map((r) => r[column.communes]))).toEqual(new Set([String(counted)]));
  const axisMedians = stratum.filter((r) => r[column.indicateur] === 'axe_mediane').map((r) => Number(r[column.valeur]));
  expect(axisMedians).toEqual(expected);
  expect(rows.some((r) => r[column.groupe] === 'departement:14')).toBe(false);
  expect(rows.slice(1).every((r) => Number(r[column.communes]) >= 5)).toBe(true);

  await seventh.close();
  for (const p of [...phones, operatorPage]) await p.context().close();
});
