import { test, expect } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { AppPage } from './pages/app';
import { loadQuestionnaire } from './pages/questionnaire';
import { ResultsScreen, domainScores, fixedAnswers, seed } from './pages/results';

test.describe('results', () => {
  test('the radar and the @ level are what the domain crate computes', async ({ page, request, baseURL }) => {
    const app = new AppPage(page, new URL(baseURL!).origin);
    const { answers, version } = await fixedAnswers(request);
    await seed(page, '2026', answers, version);
    const results = new ResultsScreen(page);
    await results.open();
    const expected = domainScores(answers);

    await expect(results.radar).toBeVisible();
    const radar = await results.radarValues('current');
    expect(radar).toEqual(expected.axes.map((a: any) => Number(a.score.toFixed(1))));
    const table = await results.axisTable();
    expect(Object.values(table)).toEqual(expected.axes.map((a: any) => Math.round(a.score)));
    await expect(results.level).toContainText(`${expected.level.at} @`);
    await expect(results.level).toContainText(expected.level.label.fr);
    await expect(page.getByTestId('completeness')).toHaveText(`${Math.round(expected.completeness * 100)} %`);
    expect(expected.dont_know.length).toBeGreaterThan(0);
    await expect(page.getByTestId('to-find-out').locator('li')).toHaveCount(expected.dont_know.length);
    app.expectNoConsoleErrors();
    app.expectNoForeignRequests();
  });

  test('few answers: the results say they are provisional', async ({ page, request }) => {
    const { answers, version } = await fixedAnswers(request);
    const few = Object.fromEntries(Object.entries(answers).slice(0, 5));
    await seed(page, '2026', few, version);
    await new ResultsScreen(page).open();
    await expect(page.getByText('Moins de 80 % des questions ont une réponse')).toBeVisible();
  });

  test('the printed report fits one A4 page', async ({ page, request }) => {
    const { answers, version } = await fixedAnswers(request);
    await seed(page, '2026', answers, version);
    await new ResultsScreen(page).open();
    // Two priorities, so the report carries them.
    const choose = page.getByRole('button', { name: 'Choisir comme priorité' });
    await choose.first().click();
    await choose.first().click();
    await expect(page.getByTestId('priorities').locator('li')).toHaveCount(2);

    await page.emulateMedia({ media: 'print' });
    // The screenshot at the paper's width (A4 less 2 × 12 mm margins, 96 px per inch), to see the page.
    await page.setViewportSize({ width: 703, height: 1032 });
    await page.screenshot({ path: test.info().outputPath('report-print.png'), fullPage: true });
    const pdf = await page.pdf({ format: 'A4', printBackground: true, preferCSSPageSize: true });
    const pages = (pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) ?? []).length;
    expect(pages).toBe(1);
  });

  test('the CSV download reads back to the same answers', async ({ page, request }) => {
    const { answers, version } = await fixedAnswers(request);
    await seed(page, '2026', answers, version);
    await new ResultsScreen(page).open();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Télécharger le tableau (CSV)' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('arobase-trilport-2026.csv');
    const text = readFileSync((await download.path())!, 'utf8');
    expect(text.charCodeAt(0)).toBe(0xfeff);
    const rows = parseCsv(text.slice(1));
    expect(rows[0]).toEqual(['rubrique', 'identifiant', 'intitulé', 'valeur', 'détail', 'commentaire']);
    const fromCsv: Record<string, { option: string; comment?: string }> = {};
    for (const row of rows.filter((r) => r[0] === 'reponse' && r[4] !== '')) {
      fromCsv[row[1]] = row[5] ? { option: row[4], comment: row[5] } : { option: row[4] };
    }
    const expected = Object.fromEntries(
      Object.entries(answers).map(([id, a]) => [id, a.comment ? { option: a.option, comment: a.comment } : { option: a.option }]),
    );
    expect(fromCsv).toEqual(expected);
  });

  test('a new campaign starts from the answers and overlays the previous one', async ({ page, request }) => {
    const { answers, version } = await fixedAnswers(request);
    await seed(page, '2026', answers, version);
    const results = new ResultsScreen(page);
    await results.open();
    const before = await results.radarValues('current');
    await page.getByRole('button', { name: 'Commencer une nouvelle campagne' }).click();
    await expect(page.getByText('Campagne 2027')).toBeVisible();
    expect(await results.radarValues('previous')).toEqual(before);
    expect(await results.radarValues('current')).toEqual(before);
    await expect(page.getByText('Campagne précédente').first()).toBeVisible();
  });

  test('validation freezes a dated copy; a later change is a draft', async ({ page, request }) => {
    const { answers, version } = await fixedAnswers(request);
    await seed(page, '2026', answers, version);
    await new ResultsScreen(page).open();
    await page.getByRole('button', { name: 'Valider le diagnostic', exact: true }).click();
    await expect(page.getByTestId('validated')).toContainText('Diagnostic validé le');
    const first = Object.keys(answers)[0];
    const theme = (await loadQuestionnaire(request)).find((t) => t.questions.some((q) => q.id === first))!;
    await page.goto(`/questionnaire/${theme.id}/${first}`);
    await page.getByRole('radio', { name: 'Non concerné', exact: true }).check();
    await new ResultsScreen(page).open();
    await expect(page.getByText('Des réponses ont changé depuis')).toBeVisible();
    await expect(page.getByRole('checkbox', { name: /Partager cette campagne/ })).not.toBeChecked();
  });

  test('the Socle réglementaire and the territory context sit apart from the @ level', async ({ page, request }) => {
    const { version } = await fixedAnswers(request);
    const answers = {
      'secu-dpo-designation': { option: 'duty-yes', updated_ms: 1 },
      'demat-publication-actes': { option: 'duty-no', updated_ms: 1 },
      'comm-fibre': { option: 'fibre-plus-95', updated_ms: 1 },
      'secu-mfa': { option: 'stage-2', updated_ms: 1 },
    };
    await seed(page, '2026', answers, version);
    await new ResultsScreen(page).open();
    // Duties and context do not count: the level is the one of « secu-mfa » alone.
    const expected = domainScores(answers);
    await expect(page.getByTestId('level')).toContainText(`${expected.level.at} @`);

    const baseline = page.getByTestId('baseline');
    await expect(baseline.getByRole('heading', { name: 'Socle réglementaire' })).toBeVisible();
    await expect(page.getByTestId('baseline-summary')).toContainText('1 / ');
    const item = (id: string) => baseline.locator(`[data-question="${id}"]`);
    await expect(item('secu-dpo-designation')).toContainText('En règle');
    await expect(item('secu-dpo-designation')).toContainText('RGPD, art. 37');
    // Not enrolled: the population is unknown, so the threshold is shown…
    await expect(item('demat-publication-actes')).toContainText("s'applique à partir de 3\u202F500 habitants");
    // …until the user types it.
    await page.getByLabel("Nombre d'habitants de la commune (population municipale)").fill('2000');
    await expect(item('demat-publication-actes')).toContainText("Non applicable");
    await page.getByLabel("Nombre d'habitants de la commune (population municipale)").fill('12000');
    await expect(item('demat-publication-actes')).toContainText('Pas en règle');

    const context = page.getByTestId('territory-context');
    await expect(context).toContainText('Plus de 95\u00a0%');

    await page.getByTestId('level-bands').getByText('Comprendre le niveau @').click();
    // Only Sécurité has a counted answer (stage 2 → 50): the overall score is 50, 3 @, and the
    // next band starts at 60.
    expect(expected.overall).toBe(50);
    await expect(page.getByTestId('level-next')).toContainText(`Points à gagner pour atteindre ${expected.level.at + 1} @ : 10.0 points`);
  });
});

/** RFC 4180 with `;`: quotes, doubled quotes and line breaks inside quotes. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i++; }
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"' && cell === '') quoted = true;
    else if (c === ';') { row.push(cell); cell = ''; }
    else if (c === '\r') continue;
    else if (c === '\n') { row.push(cell); rows.push(row); row = []; cell = ''; }
    else cell += c;
  }
  return rows;
}
