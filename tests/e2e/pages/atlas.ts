import { expect, type Locator, type Page } from '@playwright/test';
import { ResultsScreen } from './results';

/** What a town's administrator fills in to publish an example. */
export interface ExampleDraft {
  what: string;
  partner: string;
  cost: string;
  duration: string;
  role: string;
}

/** The action atlas on « Résultats »: suggested actions with the examples of comparable towns,
 *  and the chosen priorities with « Publier un exemple ». */
export class AtlasResults {
  constructor(readonly page: Page) {}

  async open() {
    await new ResultsScreen(this.page).open();
  }

  /** The suggested action about the question titled `question`. */
  suggestion(question: string): Locator {
    return this.page.locator('.actions-list > li').filter({ has: this.page.getByText(question, { exact: true }) });
  }

  /** « Exemples de communes comparables » under the suggested action about `question`. */
  examples(question: string): Locator {
    return this.suggestion(question).getByRole('region', { name: 'Exemples de communes comparables' });
  }

  /** The chosen priority about `question`. */
  priority(question: string): Locator {
    return this.page.getByTestId('priorities').getByRole('listitem').filter({ has: this.page.getByText(question, { exact: true }) });
  }

  async choose(question: string) {
    await this.suggestion(question).getByRole('button', { name: 'Choisir comme priorité' }).click();
    await expect(this.priority(question)).toHaveCount(1);
  }

  async markDone(question: string) {
    await this.priority(question).getByLabel('Avancement').selectOption({ label: 'Fait' });
  }

  /** Opens the form, checks it says what is published, fills it in and sends it. */
  async publish(question: string, draft: ExampleDraft) {
    await this.priority(question).getByRole('button', { name: 'Publier un exemple' }).click();
    const form = this.page.getByRole('form', { name: 'Publier un exemple pour les autres communes' });
    await expect(form).toContainText('avec le nom de votre commune et son département');
    await form.getByRole('button', { name: "Envoyer à l'association" }).click();
    // Nothing filled in yet: the server's reason is announced, nothing is sent.
    await expect(form.getByRole('alert')).toContainText('caractères');
    await form.getByLabel('Ce qui a été fait').fill(draft.what);
    await form.getByLabel('Avec qui').selectOption({ label: draft.partner });
    await form.getByLabel('Coût').selectOption({ label: draft.cost });
    await form.getByLabel('Durée').selectOption({ label: draft.duration });
    await form.getByLabel('Fonction à contacter').fill(draft.role);
    await form.getByRole('button', { name: "Envoyer à l'association" }).click();
    await expect(form).toHaveCount(0);
  }

  ownStatus(question: string): Locator {
    return this.priority(question).getByTestId('atlas-status');
  }
}

/** « Exemples d'actions » in the association's console. */
export class AtlasModeration {
  constructor(readonly page: Page) {}

  async open() {
    await this.page
      .getByRole('navigation', { name: 'Sections de la console' })
      .getByRole('button', { name: "Exemples d'actions", exact: true })
      .click();
    await expect(this.region).toBeVisible();
  }

  get region(): Locator {
    return this.page.getByRole('region', { name: "Exemples d'actions à relire" });
  }

  /** The example a town sent, found by the town's name. */
  example(commune: string): Locator {
    return this.region.getByRole('listitem').filter({ has: this.page.getByRole('heading', { name: new RegExp(`^${commune} `) }) });
  }

  async publish(commune: string) {
    await this.example(commune).getByRole('button', { name: 'Publier', exact: true }).click();
    await expect(this.page.getByTestId('console-done')).toHaveText(new RegExp(`Exemple de ${commune} .* publié\\.`));
  }
}
