import { expect, type Locator, type Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';

/** What the domain crate computes for `answers` (the `score` example of crates/diagnostic). */
export function domainScores(answers: Record<string, { option: string }>): any {
  const out = execFileSync('cargo', ['run', '-q', '--release', '-p', 'diagnostic', '--example', 'score'], {
    input: JSON.stringify(answers),
    encoding: 'utf8',
  });
  return JSON.parse(out);
}

/** Page object for « Résultats ». */
export class ResultsScreen {
  constructor(readonly page: Page) {}

  async open() {
    await this.page.goto('/resultats');
    await expect(this.page.getByRole('heading', { level: 1 })).toContainText('Résultats');
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
