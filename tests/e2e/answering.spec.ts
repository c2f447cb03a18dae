import { test, expect, chromium } from '@playwright/test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppPage } from './pages/app';
import { QuestionScreen, loadQuestionnaire, type QuestionRef } from './pages/questionnaire';
import { chromiumArgs } from '../../playwright.config';

test.describe('answering on a phone', () => {
  let questions: QuestionRef[];

  test.beforeEach(async ({ request }) => {
    const themes = await loadQuestionnaire(request);
    questions = themes.flatMap((t) => t.questions);
  });

  test('five answers survive a reload', async ({ page, baseURL }) => {
    const app = new AppPage(page, new URL(baseURL!).origin);
    const screen = new QuestionScreen(page);
    const picks = questions.slice(0, 5).map((q, i) => ({ q, label: q.options[i] }));
    for (const { q, label } of picks) {
      await screen.open(q);
      await screen.choose(label);
    }
    await page.reload();
    for (const { q, label } of picks) {
      await screen.open(q);
      await expect(screen.option(label)).toBeChecked();
    }
    app.expectNoConsoleErrors();
    app.expectNoForeignRequests();
  });

  test('answers survive closing and reopening the browser (persistent profile)', async ({ baseURL }) => {
    const profile = mkdtempSync(join(tmpdir(), 'arobase-profile-'));
    const launch = () =>
      chromium.launchPersistentContext(profile, {
        executablePath: '/usr/bin/chromium',
        args: chromiumArgs,
        baseURL,
        viewport: { width: 412, height: 915 },
      });
    try {
      let context = await launch();
      let screen = new QuestionScreen(context.pages()[0] ?? (await context.newPage()));
      await screen.open(questions[3]);
      await screen.choose('Ne sait pas');
      await screen.comment.fill('Demander au DGS');
      await context.close();

      context = await launch();
      screen = new QuestionScreen(context.pages()[0] ?? (await context.newPage()));
      await screen.open(questions[3]);
      await expect(screen.option('Ne sait pas')).toBeChecked();
      await expect(screen.comment).toHaveValue('Demander au DGS');
      await context.close();
    } finally {
      rmSync(profile, { recursive: true, force: true });
    }
  });

  test('changing an answer: the latest wins', async ({ page }) => {
    const screen = new QuestionScreen(page);
    const q = questions[0];
    await screen.open(q);
    await screen.choose(q.options[1]);
    await screen.choose('Non concerné');
    await screen.choose(q.options[3]);
    await page.reload();
    await expect(screen.option(q.options[3])).toBeChecked();
    await expect(screen.option(q.options[1])).not.toBeChecked();
    await expect(screen.option('Non concerné')).not.toBeChecked();
  });

  test('home shows progress per theme and resumes at the last question', async ({ page, request }) => {
    const themes = await loadQuestionnaire(request);
    const screen = new QuestionScreen(page);
    const [first, second] = themes[1].questions;
    await screen.open(first);
    await screen.choose(first.options[2]);
    await screen.open(second);
    await screen.choose('Ne sait pas');
    await page.goto('/');
    await expect(page.getByTestId(`progress-${themes[1].id}`)).toHaveText(
      `2 réponses sur ${themes[1].questions.length}`,
    );
    await page.getByRole('link', { name: 'Reprendre où vous en étiez' }).click();
    await expect(screen.heading).toHaveText(second.text);
  });

  test('keyboard only: a whole theme answered without a pointer', async ({ page, request }) => {
    const theme = (await loadQuestionnaire(request))[3];
    const screen = new QuestionScreen(page);
    await page.goto(`/questionnaire/${theme.id}`);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(theme.title);

    /** Presses Tab until the focused element matches, as a keyboard user would. */
    const tabTo = async (matches: () => Promise<boolean>, what: string) => {
      for (let i = 0; i < 40; i++) {
        await page.keyboard.press('Tab');
        if (await matches()) return;
      }
      throw new Error(`could not reach ${what} with Tab`);
    };
    const focused = () => page.locator(':focus');

    await tabTo(async () => (await focused().textContent())?.includes(theme.questions[0].text) ?? false, 'first question');
    await page.keyboard.press('Enter');
    for (const [i, question] of theme.questions.entries()) {
      await expect(screen.heading).toHaveText(question.text);
      await expect(screen.heading).toBeFocused();
      await tabTo(async () => (await focused().getAttribute('type')) === 'radio', 'the answers');
      await page.keyboard.press('Space');
      await expect(screen.saveStatus).toHaveText('Enregistré sur ce téléphone');
      if (i + 1 < theme.questions.length) {
        await tabTo(async () => (await focused().textContent()) === 'Question suivante', 'next question');
        await page.keyboard.press('Enter');
      }
    }
    await page.goto('/');
    await expect(page.getByTestId(`progress-${theme.id}`)).toHaveText(
      `${theme.questions.length} réponses sur ${theme.questions.length}`,
    );
  });

  test('damaged data on the phone is reported and kept', async ({ page }) => {
    await page.goto('/');
    await page.evaluate(() => {
      localStorage.setItem('arobase.settings', JSON.stringify({ schema: 2, device_id: 'd', current_campaign: '2026' }));
      localStorage.setItem('arobase.campaign.2026', '{"schema":2,"answers":{"tronqu');
    });
    await page.reload();
    const notice = page.getByTestId('storage-notices');
    await expect(notice).toContainText('Des données enregistrées sur ce téléphone étaient abîmées');
    const backups = await page.evaluate(() =>
      Object.keys(localStorage).filter((k) => k.startsWith('arobase.backup.')).map((k) => localStorage.getItem(k)),
    );
    expect(backups).toEqual(['{"schema":2,"answers":{"tronqu']);
  });

  test('the glossary is one tap away, the terms of the question first', async ({ page, request }) => {
    const themes = await loadQuestionnaire(request);
    const question = themes.flatMap((t) => t.questions).find((q) => q.id === 'demat-urbanisme')!;
    const screen = new QuestionScreen(page);
    await screen.open(question);
    const glossary = page.getByTestId('glossary');
    await glossary.getByText('Glossaire des termes techniques').click();
    await expect(glossary.locator('dt').first()).toHaveText("PLAT'AU");
    await expect(glossary.locator('dd').first()).toContainText('Plateforme de l');
    await expect(glossary.locator('dt')).toHaveCount(18);
  });
});
