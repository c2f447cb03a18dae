import { expect, type APIRequestContext, type Locator, type Page } from '@playwright/test';

/** One question of the served questionnaire with what the network test needs: the axes it feeds
 *  and its options' ids and French labels. */
export interface NetworkQuestion {
  theme: string;
  id: string;
  text: string;
  axes: string[];
  options: { id: string; label: string }[];
}

/** The served questionnaire (the content the app embeds): axis ids and questions. */
export async function loadContent(request: APIRequestContext): Promise<{ axes: string[]; questions: NetworkQuestion[] }> {
  const response = await request.get('/api/questionnaire');
  expect(response.ok()).toBeTruthy();
  const body = await response.json();
  const questions: NetworkQuestion[] = body.themes.flatMap((t: any) =>
    t.questions.map((q: any) => ({
      theme: t.id,
      id: q.id,
      text: q.text.fr,
      axes: Object.keys(q.axes ?? {}),
      options: q.answers.map((a: any) => ({ id: a.id, label: a.label.fr })),
    })),
  );
  return { axes: body.axes.map((a: any) => a.id), questions };
}

/** Page object for « Se comparer aux communes comparables » on the results page, and the
 *  per-question line on a question page. Accessible names only (role, label, heading). */
export class CompareSection {
  constructor(readonly page: Page) {}

  get heading(): Locator {
    return this.page.getByRole('heading', { name: 'Se comparer aux communes comparables' });
  }

  get section(): Locator {
    return this.page.getByRole('region', { name: 'Se comparer aux communes comparables' });
  }

  /** « Chiffres du 2 décembre 2026 ». */
  get date(): Locator {
    return this.section.getByText(/^Chiffres du /);
  }

  get offline(): Locator {
    return this.section.getByText('Hors ligne : ce sont les derniers chiffres enregistrés sur ce téléphone.');
  }

  /** « Groupe de comparaison ». */
  get picker(): Locator {
    return this.page.getByLabel('Groupe de comparaison');
  }

  /** The radar, named with the group's median once a shown group is selected. */
  get radarWithGroup(): Locator {
    return this.page.getByRole('img', { name: /médiane du groupe/ });
  }

  async radarMedians(): Promise<number[]> {
    const values = await this.page.getByTestId('radar-median').getAttribute('data-values');
    return values!.split(' ').map(Number);
  }

  /** Opens « Niveaux @ et questions du groupe » (closed by default: the page stays short). */
  async openDetails() {
    const summary = this.section.getByText('Niveaux @ et questions du groupe', { exact: true });
    await summary.click();
    await expect(this.levels).toBeVisible();
  }

  get levels(): Locator {
    return this.section.getByRole('list').filter({ hasText: ' @' }).first();
  }

  /** A line « X % des communes comparables ont ceci en place » (results list or question page). */
  share(pct: number): Locator {
    return this.page.getByText(`${pct} % des communes comparables ont ceci en place`, { exact: true });
  }
}
