import { execFileSync } from 'node:child_process';
import { expect, type Locator, type Page } from '@playwright/test';
import { serverBinary } from '../../../playwright.config';

/** Runs `arobase-server operator add` on the e2e server's database, as an association's admin
 *  would, and returns the enrolment link it prints (one stdout line). */
export function addOperator(databaseFile: string, name: string): URL {
  const out = execFileSync(
    serverBinary,
    // The server's own options before the subcommand: accepted there whether or not they are global.
    ['--database-url', `sqlite://${databaseFile}`, 'operator', 'add', '--name', name],
    { encoding: 'utf8', env: { ...process.env, RUST_LOG: 'warn' } },
  );
  const line = out.split('\n').map((l) => l.trim()).find((l) => /^https?:\/\/\S+#\S+$/.test(l));
  expect(line, `an enrolment link in: ${out}`).toBeTruthy();
  return new URL(line!);
}

/** Page object for the association's console (/association) and its enrolment page. */
export class ConsoleScreen {
  constructor(readonly page: Page) {}

  /** Opens the enrolment link's path on this origin, names this browser, enrols. */
  async enrol(link: URL, browserName: string) {
    expect(link.pathname).toBe('/association/inscription');
    await this.page.goto(`/association/inscription${link.hash}`);
    await expect(this.page.getByRole('heading', { level: 1 })).toHaveText("Inscription d'un opérateur");
    await this.page.getByLabel('Nom de ce navigateur').fill(browserName);
    await this.page.getByRole('button', { name: 'Inscrire ce navigateur' }).click();
    await expect(this.page).toHaveURL(/\/association$/);
    await expect(this.heading).toHaveText("Console de l'association");
  }

  async open() {
    await this.page.goto('/association');
    await expect(this.heading).toHaveText("Console de l'association");
  }

  get heading(): Locator {
    return this.page.getByRole('heading', { level: 1 });
  }

  section(name: 'À décider' | 'Communes' | 'Journal' | 'Tableau de bord'): Locator {
    return this.page.getByRole('navigation', { name: 'Sections de la console' }).getByRole('button', { name, exact: true });
  }

  /** The « Tableau de bord »: the association's figures for one campaign. */
  get dashboard(): Locator {
    return this.page.getByRole('region', { name: 'Tableau de bord du réseau' });
  }

  /** The national participation table, found by its caption as a screen reader would. */
  participation(campaign: string): Locator {
    return this.dashboard.getByRole('table', { name: `Participation des communes, campagne ${campaign}` });
  }

  /** The map of France by département: an image named for what it shows (its shapes are hidden
   *  from screen readers, which read the table that follows instead). */
  get departementMap(): Locator {
    return this.dashboard.getByRole('img', { name: /^Carte des départements/ });
  }

  /** The map's text equivalent: every département, found by its caption. */
  departements(campaign: string): Locator {
    return this.dashboard.getByRole('table', { name: `Départements : participation et score global médian, campagne ${campaign}` });
  }

  /** The map's metric switch (a radio group). */
  mapMetric(name: 'Espaces ouverts' | 'Diagnostics partagés' | 'Score global médian'): Locator {
    return this.dashboard.getByRole('group', { name: 'Colorier la carte selon' }).getByRole('radio', { name });
  }

  /** Clicks « Télécharger les données ouvertes (CSV) »; the saved file's name and bytes. */
  async downloadOpenData(): Promise<{ name: string; bytes: Buffer }> {
    const [download] = await Promise.all([
      this.page.waitForEvent('download'),
      this.dashboard.getByRole('button', { name: 'Télécharger les données ouvertes (CSV)' }).click(),
    ]);
    const chunks: Buffer[] = [];
    for await (const chunk of await download.createReadStream()) chunks.push(Buffer.from(chunk));
    return { name: download.suggestedFilename(), bytes: Buffer.concat(chunks) };
  }

  get pendingSpaces(): Locator {
    return this.page.getByRole('region', { name: 'Espaces en attente de vérification' });
  }

  get requests(): Locator {
    return this.page.getByRole('region', { name: "Demandes d'accès" });
  }

  get dialog(): Locator {
    return this.page.getByRole('dialog');
  }

  get done(): Locator {
    return this.page.getByTestId('console-done');
  }

  /** Confirms the open dialog with `button`, after checking it says `consequence`. */
  async confirm(button: string, consequence: RegExp) {
    await expect(this.dialog).toBeVisible();
    await expect(this.dialog).toContainText(consequence);
    await this.dialog.getByRole('button', { name: button, exact: true }).click();
    await expect(this.dialog).toBeHidden();
  }

  pendingTown(commune: string): Locator {
    return this.pendingSpaces.getByRole('listitem').filter({ hasText: commune });
  }

  async verify(commune: string) {
    await this.section('À décider').click();
    await this.pendingTown(commune).getByRole('button', { name: 'Vérifier' }).click();
    await this.confirm('Vérifier', /vérifié auprès de la mairie/);
    await expect(this.done).toHaveText(`Espace de ${commune} vérifié.`);
    await expect(this.pendingTown(commune)).toHaveCount(0);
  }

  request(requester: string): Locator {
    return this.requests.getByRole('listitem').filter({ hasText: requester });
  }

  async openTown(commune: string) {
    await this.section('Communes').click();
    await this.page.getByLabel('Nom de la commune ou code INSEE').fill(commune);
    await this.page.getByRole('button', { name: 'Rechercher', exact: true }).click();
    await this.page.getByRole('button', { name: `Ouvrir ${commune}` }).click();
    await expect(this.page.getByRole('region', { name: commune })).toBeVisible();
  }

  get townDevices(): Locator {
    return this.page.getByTestId('town-devices');
  }

  async removeDevice(name: string, commune: string) {
    await this.townDevices.getByRole('button', { name: `Retirer ${name}` }).click();
    await this.confirm('Retirer', /perd l'accès/);
    await expect(this.done).toHaveText(`« ${name} » est retiré de l'espace de ${commune}.`);
  }

  async recoveryCode(): Promise<string> {
    await this.page.getByRole('button', { name: 'Créer une invitation de secours' }).click();
    const code = (await this.page.getByTestId('invite-code').textContent())!.trim();
    expect(code).toMatch(/^[0-9A-Z]{3}-[0-9A-Z]{3}-[0-9A-Z]{3}$/);
    await expect(this.page.getByRole('img', { name: /QR code/ })).toBeVisible();
    return code;
  }
}
