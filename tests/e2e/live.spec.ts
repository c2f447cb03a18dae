import { test, expect, type Page } from '@playwright/test';
import { QuestionScreen, loadQuestionnaire } from './pages/questionnaire';
import { enrolTwoPhones } from './pages/town';

/** Resolves once the page's live stream (GET /api/sync/events) is open. */
function liveStreamOpened(page: Page) {
  return page.waitForResponse((r) => r.url().includes('/api/sync/events') && r.status() === 200);
}

test.describe('live updates between the phones of one town', () => {
  test("a phone left on the theme list shows the other's answer without a tap", async ({ browser, baseURL, request }) => {
    const theme = (await loadQuestionnaire(request))[2];
    const q = theme.questions[1];
    const { mayor, deputy, mayorPage, deputyPage } = await enrolTwoPhones(browser, baseURL!, 'Penchard');

    const opened = liveStreamOpened(deputyPage);
    await deputyPage.goto('/questionnaire');
    const progress = deputyPage.getByTestId(`progress-${theme.id}`);
    await expect(progress).toHaveText(`0 réponse sur ${theme.questions.length}`);
    await opened;

    const mayorScreen = new QuestionScreen(mayorPage);
    await mayorScreen.open(q);
    await mayorScreen.choose(q.options[2]);
    // The mayor's phone sends a moment after the tap (1.5 s, to group taps); the deputy's shows it
    // well before its fallback poll (10 s) could.
    await expect(progress).toHaveText(`1 réponse sur ${theme.questions.length}`, { timeout: 6_000 });
    await mayor.close();
    await deputy.close();
  });

  test('concurrent offline answers: the conflict shows everywhere and the later answer is retained', async ({ browser, baseURL, request }) => {
    const theme = (await loadQuestionnaire(request))[3];
    const q = theme.questions[0];
    const { mayor, deputy, mayorPage, deputyPage } = await enrolTwoPhones(browser, baseURL!, 'Chambry');
    const mayorScreen = new QuestionScreen(mayorPage);
    const deputyScreen = new QuestionScreen(deputyPage);
    await mayorScreen.open(q);
    await deputyScreen.open(q);

    await mayor.setOffline(true);
    await deputy.setOffline(true);
    await mayorScreen.choose(q.options[1]);
    // The deputy answers a few seconds later, by the real clock: that answer must be retained.
    await mayorPage.waitForTimeout(3_000);
    await deputyScreen.choose(q.options[3]);
    await mayor.setOffline(false);
    await deputy.setOffline(false);

    // No tap: the phones exchange on coming back online, then by the live stream.
    for (const [page, screen] of [[mayorPage, mayorScreen], [deputyPage, deputyScreen]] as const) {
      const conflict = page.getByTestId('conflict');
      await expect(conflict).toContainText('Aussi répondu par', { timeout: 15_000 });
      await expect(conflict).toContainText('Réponse retenue pour l\'instant : ' + q.options[3] + ' — Paul Martin — Adjoint·e');
      await expect(conflict).toContainText('Aussi répondu par Marie Dupont — Maire');
      await expect(conflict).not.toContainText('(maire)');
      await expect(screen.option(q.options[3])).toBeChecked();
    }

    // The home page counts it and leads, in one tap, to the list, then to the question.
    await mayorPage.goto('/');
    const link = mayorPage.getByTestId('conflicts-link');
    await expect(link).toHaveText('1 réponse à départager');
    // The theme list marks the theme.
    await expect(mayorPage.getByTestId(`conflicts-${theme.id}`)).toHaveText('1 réponse à départager');
    await link.getByRole('link').click();
    await expect(mayorPage.getByRole('heading', { level: 1 })).toHaveText('Réponses à départager');
    const list = mayorPage.getByTestId('conflicts-list');
    await expect(list.getByRole('listitem')).toHaveCount(1);
    await list.getByRole('link', { name: new RegExp(q.text.slice(0, 30).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) }).click();
    await expect(mayorScreen.heading).toHaveText(q.text);
    await expect(mayorPage.getByTestId('conflict')).toBeVisible();

    // The question's row in its theme carries a badge; the sync panel counts it too.
    await deputyPage.goto(`/questionnaire/${theme.id}`);
    await expect(deputyPage.getByTestId(`conflict-badge-${q.id}`)).toHaveText('À départager');
    await deputyPage.goto('/commune');
    await expect(deputyPage.getByTestId('sync-conflicts')).toHaveText('1 réponse à départager');

    // Settling it on one phone clears it on the other, without a tap there.
    await mayorPage.getByTestId('conflict').getByRole('button', { name: 'Garder la réponse retenue' }).click();
    await expect(mayorPage.getByTestId('conflict')).toHaveCount(0);
    await expect(deputyPage.getByTestId('sync-conflicts')).toHaveCount(0, { timeout: 8_000 });
    await mayor.close();
    await deputy.close();
  });
});
