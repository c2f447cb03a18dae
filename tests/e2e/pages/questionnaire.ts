import { expect, type APIRequestContext, type Locator, type Page } from '@playwright/test';

export interface QuestionRef {
  theme: string;
  id: string;
  text: string;
  /** French labels of the answer options, in order (ending with « Ne sait pas » and « Non
   * concerné », except on legal duties that bind every commune, which end with « Ne sait pas »). */
  options: string[];
}

export interface ThemeRef {
  id: string;
  title: string;
  questions: QuestionRef[];
}

/** The questionnaire as the server serves it: the same content the app embeds. */
export async function loadQuestionnaire(request: APIRequestContext): Promise<ThemeRef[]> {
  const response = await request.get('/api/questionnaire');
  expect(response.ok()).toBeTruthy();
  const body = await response.json();
  return body.themes.map((t: any) => ({
    id: t.id,
    title: t.title.fr,
    questions: t.questions.map((q: any) => ({
      theme: t.id,
      id: q.id,
      text: q.text.fr,
      options: q.answers.map((a: any) => a.label.fr),
    })),
  }));
}

/** Page object for one question screen. */
export class QuestionScreen {
  constructor(readonly page: Page) {}

  async open(question: QuestionRef) {
    await this.page.goto(`/questionnaire/${question.theme}/${question.id}`);
    await expect(this.heading).toHaveText(question.text);
    // The server's copy of the question shows first (and can be answered): wait for the app's.
    await expect(this.page.locator('#app-shell')).toHaveCount(0);
  }

  get heading(): Locator {
    return this.page.getByRole('heading', { level: 1 });
  }

  get group(): Locator {
    return this.page.getByRole('group', { name: /.+/ }).first();
  }

  option(label: string): Locator {
    return this.page.getByRole('radio', { name: label, exact: true });
  }

  async choose(label: string) {
    await this.option(label).check();
    await expect(this.saveStatus).toHaveText('Enregistré sur ce téléphone');
  }

  get saveStatus(): Locator {
    return this.page.getByTestId('save-status');
  }

  get comment(): Locator {
    return this.page.getByLabel('Commentaire (facultatif)');
  }

  get next(): Locator {
    return this.page.getByRole('link', { name: 'Question suivante' });
  }
}
