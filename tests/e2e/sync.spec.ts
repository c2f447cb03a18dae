import { test, expect, type BrowserContext } from '@playwright/test';
import { AppPage } from './pages/app';
import { QuestionScreen, loadQuestionnaire, type QuestionRef } from './pages/questionnaire';
import { enrolTwoPhones } from './pages/town';
import { ResultsScreen } from './pages/results';

async function answerOffline(context: BrowserContext, screen: QuestionScreen, q: QuestionRef, label: string) {
  await context.setOffline(true);
  await screen.open(q);
  await screen.choose(label);
}

test.describe('sync between the phones of one town', () => {
  test('answers given offline reach the other phone once back online', async ({ browser, baseURL, request }) => {
    const q = (await loadQuestionnaire(request))[0].questions[2];
    const { mayor, deputy, mayorPage, deputyPage, mayorTown, deputyTown } = await enrolTwoPhones(browser, baseURL!, 'Trilport');
    const mayorApp = new AppPage(mayorPage, new URL(baseURL!).origin);
    const mayorScreen = new QuestionScreen(mayorPage);

    // A low stage, so the results suggest an action for it (used for the plan below).
    await answerOffline(mayor, mayorScreen, q, q.options[1]);
    await mayorTown.open();
    await expect(mayorTown.pending).toHaveText("1 réponse(s) en attente d'envoi");
    await mayor.setOffline(false);
    await mayorTown.sync();

    await deputyTown.open();
    await deputyTown.sync();
    const deputyScreen = new QuestionScreen(deputyPage);
    await deputyScreen.open(q);
    await expect(deputyScreen.option(q.options[1])).toBeChecked();

    // The action plan syncs too: a priority chosen on one phone shows on the other.
    await new ResultsScreen(mayorPage).open();
    await mayorPage.getByRole('button', { name: 'Choisir comme priorité' }).first().click();
    const chosen = mayorPage.getByTestId('priorities').locator('.priority-title');
    await expect(chosen).toHaveCount(1);
    const priority = (await chosen.textContent())!;
    await mayorTown.open();
    await mayorTown.sync();
    await deputyTown.open();
    await deputyTown.sync();
    await deputyPage.goto('/resultats');
    await expect(deputyPage.getByTestId('priorities').locator('.priority-title')).toHaveText([priority]);
    mayorApp.expectNoForeignRequests();
    await mayor.close();
    await deputy.close();
  });

  test('the same question answered differently offline: the conflict is shown and resolved', async ({ browser, baseURL, request }) => {
    const q = (await loadQuestionnaire(request))[1].questions[0];
    const { mayor, deputy, mayorPage, deputyPage, mayorTown, deputyTown } = await enrolTwoPhones(browser, baseURL!, 'Varreddes');
    const mayorScreen = new QuestionScreen(mayorPage);
    const deputyScreen = new QuestionScreen(deputyPage);

    await answerOffline(mayor, mayorScreen, q, q.options[1]);
    await answerOffline(deputy, deputyScreen, q, q.options[4]);
    await mayor.setOffline(false);
    await deputy.setOffline(false);
    for (const town of [mayorTown, deputyTown, mayorTown]) {
      await town.open();
      await town.sync();
    }

    await mayorScreen.open(q);
    const conflict = mayorPage.getByTestId('conflict');
    await expect(conflict).toContainText('Aussi répondu par');
    await expect(conflict).toContainText(/Marie Dupont|Paul Martin/);
    await conflict.getByRole('button', { name: 'Remplacer par celle-ci' }).first().click();
    await expect(conflict).toHaveCount(0);
    const settled = await mayorPage.getByRole('radio', { checked: true }).getAttribute('value');

    await mayorTown.open();
    await mayorTown.sync();
    await deputyTown.open();
    await deputyTown.sync();
    await deputyScreen.open(q);
    await expect(deputyPage.getByTestId('conflict')).toHaveCount(0);
    await expect(deputyPage.locator(`input[type=radio][value="${settled}"]`)).toBeChecked();
    await mayor.close();
    await deputy.close();
  });

  test('a removed phone is told and stops syncing', async ({ browser, baseURL }) => {
    const { mayor, deputy, mayorPage, deputyTown } = await enrolTwoPhones(browser, baseURL!, 'Poincy');
    await mayorPage.bringToFront();
    await mayorPage.getByRole('button', { name: 'Retirer Paul Martin' }).click();
    // Removal asks first, and says what it does.
    const dialog = mayorPage.getByRole('dialog', { name: "Retirer le téléphone « Paul Martin » de l'espace ?" });
    await expect(dialog).toContainText("perdra l'accès");
    await dialog.getByRole('button', { name: 'Retirer', exact: true }).click();
    await expect(mayorPage.getByTestId('devices')).toContainText('retiré');
    await deputyTown.open();
    await deputyTown.page.getByRole('button', { name: 'Synchroniser' }).click();
    await expect(deputyTown.page.getByTestId('revoked')).toContainText('retiré');
    await mayor.close();
    await deputy.close();
  });
});
