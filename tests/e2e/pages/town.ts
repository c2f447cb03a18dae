import { expect, type Browser, type Locator, type Page } from '@playwright/test';

/** Page object for « Espace de la commune » (/commune). */
export class TownScreen {
  constructor(readonly page: Page) {}

  async open() {
    await this.page.goto('/commune');
    await expect(this.page.getByRole('heading', { level: 1 })).toHaveText('Espace de la commune');
  }

  async createSpace(commune: string, name: string, role: string) {
    await this.page.getByLabel('Rechercher votre commune').fill(commune);
    await this.page.getByRole('button', { name: 'Rechercher' }).click();
    await this.page.getByRole('button', { name: new RegExp(`^${commune} \\(`) }).first().click();
    await this.page.getByLabel("Votre nom d'affichage").first().fill(name);
    await this.page.getByLabel('Votre rôle').first().selectOption({ label: role });
    await this.page.getByRole('button', { name: "Créer l'espace" }).click();
    await expect(this.page.getByTestId('enrolled')).toContainText(commune);
  }

  async invite(): Promise<string> {
    await this.page.getByRole('button', { name: 'Créer une invitation' }).click();
    const code = (await this.page.getByTestId('invite-code').textContent())!.trim();
    expect(code).toMatch(/^[0-9A-Z]{3}-[0-9A-Z]{3}-[0-9A-Z]{3}$/);
    await expect(this.page.getByRole('img', { name: /QR code/ })).toBeVisible();
    return code;
  }

  async joinWithCode(code: string, name: string, role: string) {
    const form = this.page.getByRole('region', { name: 'Rejoindre avec un code' });
    await form.getByLabel("Code d'invitation").fill(code);
    await form.getByLabel("Votre nom d'affichage").fill(name);
    await form.getByLabel('Votre rôle').selectOption({ label: role });
    await form.getByRole('button', { name: 'Rejoindre' }).click();
    await expect(this.page.getByTestId('enrolled')).toBeVisible();
  }

  get pending(): Locator {
    return this.page.getByTestId('sync-pending');
  }

  /** Syncs now and waits until nothing is left to send. */
  async sync() {
    await this.page.getByRole('button', { name: 'Synchroniser' }).click();
    await expect(this.pending).toHaveText('Toutes vos réponses sont envoyées.');
    await expect(this.page.getByRole('button', { name: 'Synchroniser' })).toBeEnabled();
  }
}

/** What the town page shows of the association's side: status, roles, removal, claims. */
export class TownSpace {
  constructor(readonly page: Page) {}

  get status(): Locator {
    return this.page.getByTestId('town-status');
  }

  get devices(): Locator {
    return this.page.getByTestId('devices');
  }

  device(name: string): Locator {
    return this.devices.getByRole('listitem').filter({ hasText: name });
  }

  removeButton(name: string): Locator {
    return this.devices.getByRole('button', { name: `Retirer ${name}` });
  }

  get dialog(): Locator {
    return this.page.getByRole('dialog');
  }

  /** Claims `commune`, which has a space already: the claim goes to the association. */
  async claimSpace(commune: string, name: string, role: string) {
    await this.page.getByLabel('Rechercher votre commune').fill(commune);
    await this.page.getByRole('button', { name: 'Rechercher' }).click();
    await this.page.getByRole('button', { name: new RegExp(`^${commune} \\(`) }).first().click();
    await this.page.getByLabel("Votre nom d'affichage").first().fill(name);
    await this.page.getByLabel('Votre rôle').first().selectOption({ label: role });
    await this.page.getByRole('button', { name: "Créer l'espace" }).click();
    await expect(this.page.getByRole('heading', { name: "Demande envoyée à l'association…" })).toBeVisible();
  }

  get claimStatus(): Locator {
    return this.page.getByTestId('access-request-status');
  }
}

/** Two officials of one town, each on their own phone (browser context). */
/** Each test uses its own commune: a commune has one space per server. */
export async function enrolTwoPhones(browser: Browser, baseURL: string, commune: string) {
  const mayor = await browser.newContext({ baseURL, viewport: { width: 412, height: 915 } });
  const deputy = await browser.newContext({ baseURL, viewport: { width: 412, height: 915 } });
  const mayorPage = await mayor.newPage();
  const deputyPage = await deputy.newPage();
  const mayorTown = new TownScreen(mayorPage);
  const deputyTown = new TownScreen(deputyPage);
  await mayorTown.open();
  await mayorTown.createSpace(commune, 'Marie Dupont', 'Maire');
  const code = await mayorTown.invite();
  await deputyTown.open();
  await deputyTown.joinWithCode(code.toLowerCase().replace(/-/g, ' '), 'Paul Martin', 'Adjoint·e');
  await mayorTown.sync();
  await expect(mayorPage.getByTestId('devices')).toContainText('Paul Martin');
  return { mayor, deputy, mayorPage, deputyPage, mayorTown, deputyTown };
}
