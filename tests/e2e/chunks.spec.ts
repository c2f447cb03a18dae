import { test, expect, type Page } from '@playwright/test';
import { AppPage } from './pages/app';

// The app's WebAssembly is split (scripts/build-wasm.mjs, src/chunks.rs): a first visit downloads
// the home page's module; each page group comes in a chunk. These tests run without a service
// worker, so only the app's own fetching of chunks is at work.
test.use({ serviceWorkers: 'block' });

const HOME = 'Où en est le numérique dans votre commune ?';
const mainWasm = (url: string) => /\/arobase-[0-9a-f]{16}_bg\.wasm$/.test(url);
const chunkWasm = (url: string) => /\/(?:split_[a-z]+|chunk_\d+)-[0-9a-f]{16}\.wasm$/.test(url);

/** Paths of the wasm files the page has finished downloading, kept up to date. */
function wasmDownloads(page: Page): string[] {
  const seen: string[] = [];
  page.on('requestfinished', (request) => {
    if (request.url().endsWith('.wasm')) seen.push(new URL(request.url()).pathname);
  });
  return seen;
}

/** Every chunk the build's loader names (from index.html → entry script → `__wasm_split-*.js`). */
async function chunksOfTheBuild(page: Page): Promise<string[]> {
  const get = async (path: string) => (await page.request.get(path)).text();
  const entry = (await get('/')).match(/import init from '([^']+)'/)![1];
  const loader = (await get(entry)).match(/from "\.\/(__wasm_split-[0-9a-f]{16}\.js)"/)![1];
  return [...(await get(`/${loader}`)).matchAll(/new URL\("\.\/([^"]+\.wasm)"/g)].map((m) => `/${m[1]}`);
}

/** The association's console: operators only, never prefetched on a town's phone. */
const consoleChunk = (url: string) => /\/split_association-[0-9a-f]{16}\.wasm$/.test(url);

/** Waits until the app's background prefetch has downloaded every chunk (but the console's). */
async function prefetched(page: Page, downloaded: string[]) {
  const chunks = (await chunksOfTheBuild(page)).filter((c) => !consoleChunk(c));
  expect(chunks.length).toBeGreaterThan(4);
  await expect.poll(() => chunks.filter((c) => downloaded.includes(c)).length, { timeout: 20_000 }).toBe(chunks.length);
  return chunks;
}

test.describe('code split into chunks', () => {
  test('the home page runs on the main module; every chunk follows in the background, once', async ({ page, baseURL }) => {
    const app = new AppPage(page, new URL(baseURL!).origin);
    const downloaded = wasmDownloads(page);
    const maps: string[] = [];
    page.on('request', (request) => {
      if (new URL(request.url()).pathname.startsWith('/maps/')) maps.push(request.url());
    });
    await app.goto('/');
    await expect(app.heading).toHaveText(HOME);
    expect(downloaded.filter(mainWasm)).toHaveLength(1);
    // All chunks come without anyone opening a page, and each only once.
    const chunks = await prefetched(page, downloaded);
    expect(downloaded.filter(chunkWasm).length, 'no chunk fetched twice').toBe(chunks.length);
    expect(downloaded.filter(consoleChunk), 'the console stays on the server').toEqual([]);
    expect(maps, "the console's map of France stays on the server").toEqual([]);
    expect(app.consoleErrors.filter((e) => !e.includes('Service Worker registration blocked'))).toEqual([]);
    app.expectNoForeignRequests();
  });

  test('after one visit, every page opens offline without a reload (no service worker yet)', async ({ page, baseURL, context }) => {
    const app = new AppPage(page, new URL(baseURL!).origin);
    const downloaded = wasmDownloads(page);
    await app.goto('/');
    await prefetched(page, downloaded);
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

  test("the association's console is a chunk of its own, fetched only when opened", async ({ page, baseURL }) => {
    const app = new AppPage(page, new URL(baseURL!).origin);
    const downloaded = wasmDownloads(page);
    await app.goto('/');
    await prefetched(page, downloaded);
    expect(downloaded.filter(consoleChunk)).toEqual([]);
    await page.goto('/association');
    await expect(app.heading).toHaveText("Console de l'association");
    await expect(page.getByTestId('console-closed')).toContainText("n'est pas inscrit comme opérateur");
    expect(downloaded.filter(consoleChunk)).toHaveLength(1);
  });
});
