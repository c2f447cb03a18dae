import { test, expect, type Page } from '@playwright/test';
import { AppPage } from './pages/app';

// The app's WebAssembly is split (scripts/build-wasm.mjs, src/chunks.rs): a first visit downloads
// the home page's module; each page group comes in a chunk. These tests run without a service
// worker, so only the app's own fetching of chunks is at work.
test.use({ serviceWorkers: 'block' });

const HOME = 'Où en est le numérique dans votre commune ?';
const mainWasm = (url: string) => /\/arobase-[0-9a-f]{16}_bg\.wasm$/.test(url);
const chunkWasm = (url: string) => /\/(?:split_[a-z]+|chunk_\d+)-[0-9a-f]{16}\.wasm$/.test(url);

function wasmRequests(page: Page): string[] {
  const seen: string[] = [];
  page.on('request', (request) => {
    if (request.url().endsWith('.wasm')) seen.push(new URL(request.url()).pathname);
  });
  return seen;
}

test.describe('code split into chunks', () => {
  test('the home page runs on the main module; every chunk follows in the background, once', async ({ page, baseURL }) => {
    const app = new AppPage(page, new URL(baseURL!).origin);
    const requested = wasmRequests(page);
    await app.goto('/');
    await expect(app.heading).toHaveText(HOME);
    expect(requested.filter(mainWasm)).toHaveLength(1);
    // The chunk loader names every chunk; all are fetched without anyone opening a page.
    const index = await (await page.request.get('/')).text();
    const script = index.match(/import init from '([^']+)'/)![1];
    const glue = await (await page.request.get(script)).text();
    const loaderPath = glue.match(/from "\.\/(__wasm_split-[0-9a-f]{16}\.js)"/)![1];
    const chunks = [...(await (await page.request.get(`/${loaderPath}`)).text()).matchAll(/new URL\("\.\/([^"]+\.wasm)"/g)].map((m) => `/${m[1]}`);
    expect(chunks.length).toBeGreaterThan(4);
    await expect.poll(() => chunks.filter((c) => requested.includes(c)).length, { timeout: 15_000 }).toBe(chunks.length);
    expect(requested.filter(chunkWasm).length, 'no chunk fetched twice').toBe(chunks.length);
    expect(app.consoleErrors.filter((e) => !e.includes('Service Worker registration blocked'))).toEqual([]);
    app.expectNoForeignRequests();
  });

  test('after one visit, every page opens offline without a reload (no service worker yet)', async ({ page, baseURL, context }) => {
    const app = new AppPage(page, new URL(baseURL!).origin);
    await app.goto('/');
    await page.waitForLoadState('networkidle');
    const failed: string[] = [];
    page.on('requestfailed', (request) => failed.push(new URL(request.url()).pathname));
    await context.setOffline(true);

    await app.navLink('Questionnaire').click();
    await expect(app.heading).toHaveText('Questionnaire');
    await page.getByRole('link', { name: /Sécurité numérique/ }).first().click();
    await expect(app.heading).toHaveText(/Sécurité numérique/);
    await page.locator('main a[href^="/questionnaire/securite/"]').first().click();
    await expect(page.getByRole('radio').first()).toBeVisible();
    await app.navLink('Résultats').click();
    await expect(app.heading).toHaveText('Résultats');
    await app.navLink('Réglages').click();
    await expect(app.heading).toHaveText('Réglages');
    await expect(page.getByTestId('page-unavailable')).toHaveCount(0);
    // Chromium asks for the favicon again on each navigation (a service worker would answer it).
    expect(failed.filter((path) => path !== '/favicon.svg'), 'requests that needed the network').toEqual([]);
    expect(app.consoleErrors.filter((e) => e.startsWith('pageerror')), 'errors in the page').toEqual([]);
  });

  test('a chunk that cannot be fetched: the page says so, the app goes on, and « Réessayer » loads it', async ({ page, baseURL }) => {
    const app = new AppPage(page, new URL(baseURL!).origin);
    const blocked = /\/split_results-[0-9a-f]{16}\.wasm$/;
    await page.route(blocked, (route) => route.abort('internetdisconnected'));
    await app.goto('/');
    await app.navLink('Résultats').click();
    const unavailable = page.getByTestId('page-unavailable');
    await expect(unavailable).toBeVisible();
    await expect(unavailable).toContainText('pas encore été enregistrée sur ce téléphone');

    // Nothing else is broken: other pages still open, and this one still says why.
    await app.navLink('Accueil').click();
    await expect(app.heading).toHaveText(HOME);
    await app.navLink('Résultats').click();
    await unavailable.getByRole('button', { name: 'Réessayer' }).click();
    await expect(unavailable).toBeVisible();

    await page.unroute(blocked);
    await unavailable.getByRole('button', { name: 'Réessayer' }).click();
    await expect(app.heading).toHaveText('Résultats');
    await expect(unavailable).toHaveCount(0);
  });
});
