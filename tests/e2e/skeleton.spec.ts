import { test, expect } from '@playwright/test';
import { AppPage } from './pages/app';

const routes = [
  { name: 'accueil', path: '/', heading: 'Où en est le numérique dans votre commune ?' },
  { name: 'questionnaire', path: '/questionnaire', heading: 'Questionnaire' },
  { name: 'thème', path: '/questionnaire/securite', heading: /Sécurité numérique|Thème/ },
  { name: 'question', path: '/questionnaire/securite/secu-sauvegardes', heading: /.+/ },
  { name: 'résultats', path: '/resultats', heading: 'Résultats' },
  { name: 'réglages', path: '/reglages', heading: 'Réglages' },
  { name: 'à propos', path: '/a-propos', heading: 'À propos' },
  // Served with 404 (the page still runs the app): the browser reports that status in its console.
  { name: 'page inconnue', path: '/nulle-part', heading: 'Page introuvable', status: 404 },
];

test.describe('walking skeleton', () => {
  test('the landing screen is in French, titled, and mounts without console errors', async ({ page, baseURL }) => {
    const app = new AppPage(page, new URL(baseURL!).origin);
    await app.goto('/');
    await expect(page.locator('html')).toHaveAttribute('lang', 'fr');
    await expect(app.heading).toHaveText('Où en est le numérique dans votre commune ?');
    await expect(page).toHaveTitle(/Arobase/);
    await expect(page.getByRole('link', { name: 'Commencer le diagnostic' })).toBeVisible();
    app.expectNoConsoleErrors();
    app.expectNoForeignRequests();
  });

  for (const route of routes) {
    test(`deep link to ${route.name} renders after a reload`, async ({ page, baseURL }) => {
      const app = new AppPage(page, new URL(baseURL!).origin);
      const response = await page.goto(route.path);
      expect(response?.status()).toBe(route.status ?? 200);
      await app.waitForApp();
      await expect(app.heading).toHaveText(route.heading);
      await page.reload();
      await app.waitForApp();
      await expect(app.heading).toHaveText(route.heading);
      await expect(app.heading).toBeFocused();
      if (route.status === 404) {
        const notFound = /^error: Failed to load resource: the server responded with a status of 404/;
        expect(app.consoleErrors.filter((e) => !notFound.test(e))).toEqual([]);
      } else {
        app.expectNoConsoleErrors();
      }
      app.expectNoForeignRequests();
    });
  }

  test('navigation reaches every screen without a page load', async ({ page, baseURL }) => {
    const app = new AppPage(page, new URL(baseURL!).origin);
    await app.goto('/');
    let loads = 0;
    page.on('load', () => loads++);
    for (const [link, heading] of [
      ['Questionnaire', 'Questionnaire'],
      ['Résultats', 'Résultats'],
      ['Réglages', 'Réglages'],
      ['Accueil', 'Où en est le numérique dans votre commune ?'],
    ]) {
      await app.navLink(link).click();
      await expect(app.heading).toHaveText(heading);
      await expect(app.navLink(link)).toHaveAttribute('aria-current', 'page');
    }
    expect(loads).toBe(0);
    app.expectNoConsoleErrors();
  });

  test('à propos shows the app version', async ({ page, baseURL, request }) => {
    const app = new AppPage(page, new URL(baseURL!).origin);
    const health = await (await request.get('/api/health')).json();
    await app.goto('/a-propos');
    await expect(page.getByTestId('app-version')).toHaveText(health.version);
  });

  test('switching to English changes the interface and <html lang>', async ({ page, baseURL }) => {
    const app = new AppPage(page, new URL(baseURL!).origin);
    await app.goto('/reglages');
    await page.getByRole('radio', { name: 'English' }).check();
    await expect(page.locator('html')).toHaveAttribute('lang', 'en');
    await expect(app.heading).toHaveText('Settings');
    app.expectNoConsoleErrors();
  });
});
