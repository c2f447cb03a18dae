import { test, expect, type Browser, type Page } from '@playwright/test';
import { e2eDatabase } from '../../playwright.config';
import { AtlasModeration, AtlasResults } from './pages/atlas';
import { addOperator, ConsoleScreen } from './pages/association';
import { PwaApp } from './pages/pwa';
import { loadQuestionnaire, QuestionScreen } from './pages/questionnaire';
import { ResultsScreen } from './pages/results';
import { TownScreen } from './pages/town';

// The action atlas: town A's mayor marks a priority done and publishes an example of it; an
// operator of the association publishes it from the console; town B, of the same population
// stratum, reads it under the same recommendation — and still offline after one online visit.
// Both towns are in Ille-et-Vilaine, 3 500 to 4 999 inhabitants.

const TOWN_A = 'Bédée';
const TOWN_B = 'Breteil';
const LAPTOP = { width: 1280, height: 800 };

async function open(browser: Browser, baseURL: string, viewport?: { width: number; height: number }): Promise<Page> {
  const context = await browser.newContext({ baseURL, locale: 'fr-FR', ...(viewport ? { viewport } : {}) });
  return context.newPage();
}

test.describe('the action atlas', () => {
  test('a done priority published by a town is read by a comparable town, online then offline', async ({ browser, baseURL, request }) => {
    test.setTimeout(180_000);
    // A question with a low stage gets a suggested action; the same one in both towns.
    const q = (await loadQuestionnaire(request))[0].questions[2];
    const example = {
      what: 'Sauvegardes externalisées chaque nuit, avec un test de restauration par trimestre.',
      partner: 'Intercommunalité',
      cost: 'Moins de 1 000 €',
      duration: '1 à 3 mois',
      role: 'Secrétaire de mairie',
    };

    // 1. Town A: the mayor answers, chooses the action as a priority, marks it done, publishes.
    const aPage = await open(browser, baseURL!);
    const aTown = new TownScreen(aPage);
    await aTown.open();
    await aTown.createSpace(TOWN_A, 'Marie Dupont', 'Maire');
    const aQuestion = new QuestionScreen(aPage);
    await aQuestion.open(q);
    await aQuestion.choose(q.options[1]);
    const a = new AtlasResults(aPage);
    await a.open();
    await a.choose(q.text);
    // Not done yet: nothing to publish.
    await expect(a.priority(q.text).getByRole('button', { name: 'Publier un exemple' })).toHaveCount(0);
    await a.markDone(q.text);
    await a.publish(q.text, example);
    await expect(a.ownStatus(q.text)).toContainText('En attente de modération');
    await expect(aPage.getByRole('status').filter({ hasText: 'Exemple envoyé' })).toBeVisible();

    // 2. The operator reads it in « Exemples d'actions » and publishes it.
    const operatorPage = await open(browser, baseURL!, LAPTOP);
    const operator = new ConsoleScreen(operatorPage);
    await operator.enrol(addOperator(e2eDatabase, 'Claire Martin'), 'Ordinateur du siège');
    const moderation = new AtlasModeration(operatorPage);
    await moderation.open();
    await expect(moderation.example(TOWN_A)).toContainText(example.what);
    await expect(moderation.example(TOWN_A)).toContainText('Secrétaire de mairie');
    await expect(moderation.example(TOWN_A).getByRole('button', { name: 'Refuser', exact: true })).toBeVisible();
    await moderation.publish(TOWN_A);
    await expect(moderation.region).toContainText('Aucun exemple.');

    // Town A reads « Publié », and never its own example among the others'.
    await a.open();
    await expect(a.ownStatus(q.text)).toContainText('Publié');
    await expect(a.examples(q.text)).toHaveCount(0);

    // 3. Town B, same stratum, on a phone that keeps the app offline.
    const b = await PwaApp.launch(baseURL!);
    try {
      await b.open('/');
      await b.waitForOfflineReady();
      const bTown = new TownScreen(b.page);
      await bTown.open();
      await bTown.createSpace(TOWN_B, 'Paul Martin', 'Maire');
      const bQuestion = new QuestionScreen(b.page);
      await bQuestion.open(q);
      await bQuestion.choose(q.options[1]);
      const results = new AtlasResults(b.page);
      await results.open();
      const examples = results.examples(q.text);
      await expect(examples.getByRole('heading', { name: 'Exemples de communes comparables' })).toBeVisible();
      for (const text of [TOWN_A, '(Ille-et-Vilaine)', example.what, example.partner, example.cost, example.duration, example.role]) {
        await expect(examples).toContainText(text);
      }
      // Nobody's name travels with it.
      await expect(examples).not.toContainText('Marie Dupont');

      // 4. Offline, after that one visit: the same examples, from the phone's copy.
      await b.goOffline();
      await b.open('/resultats');
      await expect(b.offlineIndicator).toBeVisible();
      await new ResultsScreen(b.page).openSections();
      await expect(results.examples(q.text)).toContainText(example.what);
      await expect(results.examples(q.text)).toContainText(TOWN_A);
      b.app.expectNoForeignRequests();
    } finally {
      await b.close();
    }
  });
});
