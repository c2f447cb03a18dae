import { test, expect, type Browser, type Page } from '@playwright/test';
import { AppPage } from './pages/app';
import { loadQuestionnaire, QuestionScreen } from './pages/questionnaire';

// Every route paints its real heading before any script runs: the server puts it into the HTML
// (crates/server/src/shells.rs), and the app takes over with the same heading in the same place.
// Cold visits, as a first-time visitor's: no service worker.
test.use({ serviceWorkers: 'block' });

const question = {
  path: '/questionnaire/securite/secu-mfa',
  heading: /^La double authentification \(code reçu sur téléphone/,
};

const routes: { name: string; path: string; heading: string | RegExp; status?: number }[] = [
  { name: 'home', path: '/', heading: 'Où en est le numérique dans votre commune ?' },
  { name: 'questionnaire', path: '/questionnaire', heading: 'Questionnaire' },
  { name: 'theme', path: '/questionnaire/securite', heading: 'Sécurité numérique' },
  { name: 'question', ...question },
  // The invitation's secret is in the fragment: it never reaches the server.
  { name: 'invitation', path: '/rejoindre?source=sms#ABCD-EFGH-secret', heading: "Rejoindre l'espace de la commune" },
  { name: 'results', path: '/resultats', heading: 'Résultats' },
  { name: 'settings', path: '/reglages', heading: 'Réglages' },
  { name: 'about', path: '/a-propos', heading: 'À propos' },
  { name: 'town', path: '/commune', heading: 'Espace de la commune' },
  { name: 'conflicts', path: '/a-departager', heading: 'Réponses à départager' },
  { name: 'privacy', path: '/confidentialite', heading: 'Confidentialité' },
  { name: 'legal notice', path: '/mentions-legales', heading: 'Mentions légales' },
  { name: 'accessibility', path: '/accessibilite', heading: 'Accessibilité' },
  { name: 'console', path: '/association', heading: "Console de l'association" },
  { name: 'unknown', path: '/nulle-part', heading: 'Page introuvable', status: 404 },
];

/** The app's WebAssembly chunks (pages behind a split point) and its main module. */
const CHUNKS = /\/(?:split_[a-z_]+|chunk_\d+)-[0-9a-f]{16}\.wasm$/;
const MAIN_MODULE = /\/arobase-[0-9a-f]{16}_bg\.wasm$/;

/** Holds back the responses for `files` until the returned function is called. */
async function holdBack(page: Page, files: RegExp): Promise<() => void> {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  await page.route(files, async (route) => {
    await held;
    await route.continue();
  });
  return release;
}

/** The h1 as a browser without scripts shows it: what paints before the WebAssembly runs. */
async function staticHeading(browser: Browser, path: string) {
  const context = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  const response = await page.goto(path);
  const heading = page.getByRole('heading', { level: 1 });
  const text = (await heading.textContent())?.trim() ?? '';
  const box = await heading.boundingBox();
  const title = await page.title();
  await context.close();
  return { status: response?.status(), text, box, title };
}

test.describe('pages paint before the app runs', () => {
  for (const route of routes) {
    test(`${route.name}: heading served in the HTML, then the app's own in the same place`, async ({ browser, baseURL }) => {
      const served = await staticHeading(browser, route.path);
      expect(served.status).toBe(route.status ?? 200);
      expect(served.text).toMatch(route.heading);
      expect(served.title).toBe(`${served.text} — Arobase`);
      expect(served.box, 'the heading is laid out').not.toBeNull();

      const context = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'fr-FR' });
      const page = await context.newPage();
      const app = new AppPage(page, baseURL!);
      await app.goto(route.path);
      await expect(page.locator('#app-shell')).toHaveCount(0);
      await expect(app.heading).toHaveText(served.text);
      const box = await app.heading.boundingBox();
      // No layout shift when the app takes over: same heading, same place (within a pixel).
      expect(Math.abs(box!.y - served.box!.y), `heading moved from ${served.box!.y} to ${box!.y}`).toBeLessThanOrEqual(1);
      expect(Math.abs(box!.height - served.box!.height)).toBeLessThanOrEqual(1);
      app.expectNoForeignRequests();
      await context.close();
    });
  }

  test('the shell is the only thing shown until the page is drawn, and stays in place on a slow chunk', async ({ page, baseURL }) => {
    // Hold the question page's chunk back: meanwhile the served heading shows, the app's frame does not.
    const release = await holdBack(page, CHUNKS);
    await page.goto(question.path);
    const heading = page.getByRole('heading', { level: 1 });
    await expect(heading).toHaveText(question.heading);
    await expect(page.locator('#app-shell')).toBeVisible();
    await expect(page.getByRole('navigation', { name: 'Navigation principale' })).toBeHidden();
    release();
    const app = new AppPage(page, baseURL!);
    await app.waitForApp();
    await expect(page.locator('#app-shell')).toHaveCount(0);
    await expect(app.heading).toHaveText(question.heading);
    await expect(page.getByRole('radio').first()).toBeVisible();
  });

  test('a link followed from the shell once the app runs leaves no stale page on screen', async ({ page }) => {
    // The app is running (its router follows links) but the question page's chunk is held back,
    // so the served copy still shows: following its theme link must not leave it on screen.
    const release = await holdBack(page, CHUNKS);
    await page.goto(question.path);
    await expect(page.locator('#app-shell')).toBeVisible();
    // Once the app has mounted, the save status it keeps in the frame exists (hidden meanwhile).
    await expect(page.locator('#contenu')).toHaveCount(1);
    await page.locator('#app-shell').getByRole('link', { name: 'Sécurité numérique' }).click();
    await expect(page).toHaveURL(/\/questionnaire\/securite$/);
    await expect(page.locator('#app-shell')).toHaveCount(0);
    await expect(page.getByRole('status').filter({ hasText: 'Chargement' })).toBeVisible();
    release();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Sécurité numérique');
  });

  test('a question link can be answered before the app runs: the app keeps that tap', async ({ page, request }) => {
    const secu = (await loadQuestionnaire(request)).flatMap((t) => t.questions).find((q) => q.id === 'secu-mfa')!;
    const label = secu.options[1];
    // Hold the main WebAssembly back: only what the server sent is on screen.
    const release = await holdBack(page, MAIN_MODULE);
    await page.goto(question.path);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(question.heading);
    await expect(page.getByRole('radio')).toHaveCount(secu.options.length);
    await expect(page.getByText('Pourquoi cette question ?')).toBeVisible();
    await page.getByRole('radio', { name: label, exact: true }).check();
    release();
    const screen = new QuestionScreen(page);
    await expect(page.locator('#app-shell')).toHaveCount(0);
    await expect(screen.option(label)).toBeChecked();
    await expect(screen.saveStatus).toHaveText('Enregistré sur ce téléphone');
    await page.reload();
    await expect(screen.option(label)).toBeChecked();
  });

  test('the options sit where the app draws them, and a first visit starts from the home page without the app', async ({ browser, baseURL }) => {
    const noScript = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 390, height: 844 } });
    const served = await noScript.newPage();
    await served.goto('/');
    await served.getByRole('link', { name: 'Commencer le diagnostic' }).click();
    await expect(served.getByRole('heading', { level: 1 })).toHaveText(/.+/);
    const servedHeading = (await served.getByRole('heading', { level: 1 }).textContent())!.trim();
    const servedOptions = await served.getByRole('radio').evaluateAll((radios) =>
      radios.map((r) => [r.closest('label')!.textContent!.trim(), r.closest('label')!.getBoundingClientRect().y] as const),
    );
    expect(servedOptions.length).toBeGreaterThanOrEqual(3);
    const path = new URL(served.url()).pathname;
    await noScript.close();

    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'fr-FR' });
    const page = await context.newPage();
    const app = new AppPage(page, baseURL!);
    await app.goto('/');
    await page.getByRole('link', { name: 'Commencer le diagnostic' }).click();
    await expect(page).toHaveURL(new RegExp(`${path}$`));
    await expect(app.heading).toHaveText(servedHeading);
    await expect(page.locator('#app-shell')).toHaveCount(0);
    const appOptions = await page.getByRole('radio').evaluateAll((radios) =>
      radios.map((r) => [r.closest('label')!.textContent!.trim(), r.closest('label')!.getBoundingClientRect().y] as const),
    );
    expect(appOptions.map(([text]) => text)).toEqual(servedOptions.map(([text]) => text));
    // Opened from the link, the app draws them in the same place (within a pixel).
    await page.goto(path);
    await expect(page.locator('#app-shell')).toHaveCount(0);
    const reopened = await page.getByRole('radio').evaluateAll((radios) => radios.map((r) => r.closest('label')!.getBoundingClientRect().y));
    reopened.forEach((y, i) => expect(Math.abs(y - servedOptions[i][1]), `option ${i + 1}`).toBeLessThanOrEqual(1));
    await context.close();
  });
});
