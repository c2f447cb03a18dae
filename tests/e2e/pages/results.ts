import { expect, type Locator, type Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';

/** What the domain crate computes for `answers` (the `score` example of crates/diagnostic, in the
 *  test profile: `cargo test` has built the crate already). */
export function domainScores(answers: Record<string, { option: string }>): any {
  const out = execFileSync('cargo', ['run', '-q', '-p', 'diagnostic', '--example', 'score'], {
    input: JSON.stringify(answers),
    encoding: 'utf8',
  });
  return JSON.parse(out);
}

/** A fixed, varied answer set: every question, options taken in turn, a few comments. */
export async function fixedAnswers(request: any) {
  const response = await request.get('/api/questionnaire');
  const body = await response.json();
  const answers: Record<string, { option: string; comment?: string; updated_ms: number }> = {};
  let n = 0;
  for (const theme of body.themes) {
    for (const q of theme.questions) {
      const option = q.answers[n % q.answers.length].id;
      answers[q.id] = { option, updated_ms: 1 };
      if (n % 7 === 0) answers[q.id].comment = `Note ${n}; voir "DGS"\navec l'EPCI`;
      n++;
    }
  }
  return { answers, version: body.version };
}

/** Puts `answers` on the phone as campaign `campaign` of the town « Trilport », then reloads. */
export async function seed(page: any, campaign: string, answers: object, version: string) {
  await page.goto('/');
  await page.evaluate(
    ([campaign, answers, version]: [string, object, string]) => {
      localStorage.clear();
      localStorage.setItem('arobase.settings', JSON.stringify({
        schema: 2, device_id: 'e2e-device', current_campaign: campaign, town_name: 'Trilport', lang: 'fr',
      }));
      localStorage.setItem(`arobase.campaign.${campaign}`, JSON.stringify({
        schema: 2, id: campaign, content_version: version, created_ms: 1, answers, outbox: [],
      }));
    },
    [campaign, answers, version],
  );
  await page.reload();
}

/** Page object for « Résultats ». */
export class ResultsScreen {
  constructor(readonly page: Page) {}

  /** Opens the results with every section open, as a user tapping each heading would. */
  async open() {
    await this.openFirstScreen();
    await this.openSections();
  }

  /** Opens the results as they first show: level, radar, first actions, sections closed. */
  async openFirstScreen() {
    await this.page.goto('/resultats');
    await expect(this.page.getByRole('heading', { level: 1 })).toContainText('Résultats');
  }

  /** The disclosure buttons of the closed sections (each inside its section's heading). */
  get closedSections(): Locator {
    return this.page.getByRole('heading', { level: 2 }).getByRole('button', { expanded: false });
  }

  /** Taps every closed section's heading. */
  async openSections() {
    await expect(this.level).toBeVisible();
    for (let left = await this.closedSections.count(); left > 0; left = await this.closedSections.count()) {
      await this.closedSections.first().click();
      await expect(this.closedSections).toHaveCount(left - 1);
    }
  }

  /** The button of the radar's axis titled `title` (it opens that axis's detail). */
  axisButton(title: string): Locator {
    return this.page.getByRole('button', { name: new RegExp(`^${title} \\d+$`) });
  }

  get axisDetail(): Locator {
    return this.page.getByTestId('axis-detail');
  }

  get topActions(): Locator {
    return this.page.getByRole('region', { name: 'Vos trois premières actions' });
  }

  get level(): Locator {
    return this.page.getByTestId('level');
  }

  get radar(): Locator {
    return this.page.getByRole('img', { name: 'Votre commune sur les quatre axes de Villes Internet' });
  }

  async radarValues(which: 'current' | 'previous'): Promise<number[]> {
    const values = await this.page.getByTestId(`radar-${which}`).getAttribute('data-values');
    return values!.split(' ').map(Number);
  }

  /** Axis scores as the accessible table shows them. */
  async axisTable(): Promise<Record<string, number>> {
    const rows = this.page.getByTestId('axis-table').locator('tbody tr');
    const result: Record<string, number> = {};
    for (const row of await rows.all()) {
      result[(await row.locator('th').textContent())!.trim()] = Number(await row.locator('td').first().textContent());
    }
    return result;
  }
}
