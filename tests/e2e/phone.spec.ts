import { test, expect } from '@playwright/test';
import { PHONES, PhoneScreen } from './pages/phone';
import { loadQuestionnaire } from './pages/questionnaire';
import { ResultsScreen, fixedAnswers, seed } from './pages/results';
import { TownScreen } from './pages/town';

for (const phone of PHONES) {
  test.describe(`on a ${phone.name} phone`, () => {
    test.use({ viewport: { width: phone.width, height: phone.height } });

    test('five questions in a row are answered with the thumb, never a scroll', async ({ page, request }) => {
      const theme = (await loadQuestionnaire(request))[0];
      expect(theme.questions.length).toBeGreaterThanOrEqual(5);
      const screen = new PhoneScreen(page);
      await page.goto(`/questionnaire/${theme.id}/${theme.questions[0].id}`);
      for (const [i, question] of theme.questions.slice(0, 5).entries()) {
        await expect(page.getByRole('heading', { level: 1 })).toHaveText(question.text);
        expect(await screen.scrollY(), `question ${i + 1} opens at the top`).toBe(0);
        // The first option, which every question shows above the bar on opening.
        const option = page.getByRole('radio', { name: question.options[0], exact: true });
        await screen.expectInView(option, `question ${i + 1}: the option`, await screen.barTop());
        await option.tap();
        await expect(screen.saved).toHaveText('Enregistré sur ce téléphone');
        expect(await screen.scrollY(), `question ${i + 1}: the tap scrolled nothing`).toBe(0);
        await screen.expectInView(screen.saved, `question ${i + 1}: « Enregistré sur ce téléphone »`);
        await screen.expectInView(screen.next, `question ${i + 1}: « Question suivante »`);
        // The help stays one tap away, above the bar.
        await screen.expectInView(page.getByText('Pourquoi cette question ?'), `question ${i + 1}: the help`);
        await screen.next.tap();
      }
      // One live region for the save status on a question page: it is announced once.
      await expect(page.getByTestId('save-status')).toHaveCount(1);
    });

    test('the results open on the level, the radar and the first actions', async ({ page, request }) => {
      const { answers, version } = await fixedAnswers(request);
      await seed(page, '2026', answers, version);
      const results = new ResultsScreen(page);
      const screen = new PhoneScreen(page);
      await results.openFirstScreen();
      await expect(results.radar).toBeVisible();
      expect(await screen.scrollY()).toBe(0);
      await screen.expectInView(results.level, 'the @ level');
      await screen.expectInView(page.getByTestId('completeness'), 'the completeness');
      await screen.expectInView(results.radar, 'the radar');
      const titles = ['Démocratie et services publics', 'Vivre ensemble', 'Partage des connaissances', 'Création de richesses'];
      for (const title of titles) {
        const button = results.axisButton(title);
        await screen.expectInView(button, `the axis « ${title} »`);
        expect((await button.boundingBox())!.height, `${title}: touch target`).toBeGreaterThanOrEqual(44);
        expect(await screen.fontSize(button.getByText(title, { exact: true })), `${title}: label size`).toBeGreaterThanOrEqual(12);
      }
      const actions = results.topActions.getByRole('listitem');
      await expect(actions).toHaveCount(3);
      await screen.expectInView(results.topActions.getByRole('heading'), 'the first actions heading');
      // Measured with this answer set: two actions whole on the 844 px tall phone (the third
      // starts above the fold); at 640 px the heading only, the actions start at the fold.
      const whole = phone.height >= 800 ? 2 : 0;
      for (let i = 0; i < whole; i++) await screen.expectInView(actions.nth(i), `action ${i + 1}`);
      // Everything else waits in closed sections, each with a line saying what is inside.
      expect(await results.closedSections.count()).toBeGreaterThanOrEqual(8);
      await expect(page.getByRole('button', { name: 'Choisir comme priorité' }).first()).toBeHidden();
    });

    test('an axis of the radar opens its detail, each question in one list, in points out of 100', async ({ page, request }) => {
      const { answers, version } = await fixedAnswers(request);
      await seed(page, '2026', answers, version);
      const results = new ResultsScreen(page);
      await results.openFirstScreen();
      const axis = results.axisButton('Démocratie et services publics');
      await expect(axis).toHaveAttribute('aria-expanded', 'false');
      await expect(results.axisDetail).toBeHidden();
      await axis.tap();
      await expect(axis).toHaveAttribute('aria-expanded', 'true');
      await expect(results.axisDetail).toBeVisible();
      await expect(results.axisDetail.getByRole('heading', { level: 3 })).toHaveText(/^Démocratie et services publics : \d+ sur 100$/);
      const raised = await page.getByTestId('explain-raised').getByRole('link').allTextContents();
      const lowered = await page.getByTestId('explain-lowered').getByRole('link').allTextContents();
      expect(raised.length).toBeGreaterThan(0);
      expect(lowered.length).toBeGreaterThan(0);
      expect(raised.filter((q) => lowered.includes(q)), 'questions under both « monter » and « baisser »').toEqual([]);
      for (const points of await results.axisDetail.locator('.points').allTextContents()) {
        expect(points).toMatch(/^[+−]\d+(,\d)? points? sur 100$/);
      }
      await axis.tap();
      await expect(results.axisDetail).toBeHidden();
    });
  });
}

test('the invitation link is copied with one tap, and « Lien copié » is announced', async ({ page, context, baseURL }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseURL });
  await page.setViewportSize({ width: 360, height: 640 });
  const town = new TownScreen(page);
  await town.open();
  // Populations are grouped the French way in the search results.
  await page.getByLabel('Rechercher votre commune').fill('Mareuil-lès-Meaux');
  await page.getByRole('button', { name: 'Rechercher' }).click();
  const found = page.getByRole('button', { name: /^Mareuil-lès-Meaux \(77\) — \d{1,3}\s\d{3} habitants$/ });
  await expect(found).toBeVisible();
  // A narrow no-break space between the thousands (accessible names normalise it to a space).
  expect(await found.textContent()).toMatch(/ — \d{1,3}\u202f\d{3} habitants$/);
  await town.createSpace('Mareuil-lès-Meaux', 'Maire de Mareuil', 'Maire');
  await town.invite();
  const link = (await page.getByTestId('invite-link').getAttribute('href'))!;
  // « Partager » only where the browser can share (not desktop Linux Chromium).
  const canShare = await page.evaluate(() => 'share' in navigator);
  await expect(page.getByRole('button', { name: 'Partager' })).toHaveCount(canShare ? 1 : 0);
  const copy = page.getByRole('button', { name: 'Copier le lien' });
  expect((await copy.boundingBox())!.height).toBeGreaterThanOrEqual(44);
  await copy.tap();
  await expect(page.getByRole('status').filter({ hasText: 'Lien copié' })).toHaveText('Lien copié');
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(link);
});

test('form controls are styled and 44 px high', async ({ page }) => {
  await page.setViewportSize({ width: 360, height: 640 });
  await new TownScreen(page).open();
  const join = page.getByRole('region', { name: 'Rejoindre avec un code' });
  for (const control of [
    page.getByLabel('Rechercher votre commune'),
    page.getByRole('button', { name: 'Rechercher' }),
    join.getByLabel('Votre rôle'),
    join.getByLabel("Code d'invitation"),
  ]) {
    expect((await control.boundingBox())!.height).toBeGreaterThanOrEqual(44);
    // The page's font, not the browser's small default for controls.
    expect(await control.evaluate((el) => parseFloat(getComputedStyle(el).fontSize))).toBeGreaterThanOrEqual(16);
  }
  // The select draws its own arrow.
  expect(await join.getByLabel('Votre rôle').evaluate((el) => getComputedStyle(el).appearance)).toBe('none');
});
