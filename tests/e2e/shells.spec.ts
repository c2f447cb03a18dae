import { test, expect, type Browser } from '@playwright/test';
import { AppPage } from './pages/app';

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
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route(/\/(?:split_[a-z_]+|chunk_\d+)-[0-9a-f]{16}\.wasm$/, async (route) => {
      await held;
      await route.continue();
    });
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
});
