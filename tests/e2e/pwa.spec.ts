import { test, expect, type Page } from '@playwright/test';
import { AppPage } from './pages/app';
import { PwaApp, pngCornerAlpha, pngSize } from './pages/pwa';

const HOME = 'Où en est le numérique dans votre commune ?';
const DEEP_QUESTION = '/questionnaire/securite/secu-sauvegardes';

const IPHONE_UA =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';

/** Fires a `beforeinstallprompt` as Chromium does when the app is installable; the fake dialog
 *  counts its openings and answers `outcome`. Returns whether the app called preventDefault. */
async function offerInstall(page: Page, outcome: 'accepted' | 'dismissed' = 'accepted'): Promise<boolean> {
  return page.evaluate((outcome) => {
    const w = window as unknown as { prompts: number };
    w.prompts = 0;
    const event = new Event('beforeinstallprompt', { cancelable: true }) as Event & Record<string, unknown>;
    event.prompt = () => {
      w.prompts++;
      return Promise.resolve();
    };
    event.userChoice = Promise.resolve({ outcome, platform: 'web' });
    window.dispatchEvent(event);
    return event.defaultPrevented;
  }, outcome);
}

/** Counts calls to navigator.storage.persist() (from the page's first script on). */
async function spyOnPersist(page: Page) {
  await page.addInitScript(() => {
    const w = window as unknown as { persistCalls: number };
    w.persistCalls = 0;
    const original = StorageManager.prototype.persist;
    StorageManager.prototype.persist = function () {
      w.persistCalls++;
      return original.call(this);
    };
  });
}

test.describe('installable', () => {
  test('the manifest has every field, and every icon and screenshot has its declared size', async ({ request, baseURL }) => {
    const response = await request.get('/manifest.webmanifest');
    expect(response.ok()).toBe(true);
    expect(response.headers()['content-type']).toContain('application/manifest+json');
    const manifest = await response.json();
    expect(manifest).toMatchObject({
      name: 'Arobase — diagnostic numérique',
      short_name: 'Arobase',
      lang: 'fr',
      start_url: '/',
      scope: '/',
      display: 'standalone',
      theme_color: '#1f4e8c',
    });
    expect(manifest.id).toBeTruthy();
    expect(manifest.description.length).toBeGreaterThan(20);
    expect(manifest.background_color).toMatch(/^#[0-9a-f]{6}$/i);
    const scope = new URL(manifest.scope, baseURL).href;
    expect(new URL(manifest.start_url, baseURL).href.startsWith(scope), 'start_url inside scope').toBe(true);
    expect(new URL(manifest.id, baseURL).origin).toBe(new URL(baseURL!).origin);

    const icons: { src: string; sizes: string; type: string; purpose?: string }[] = manifest.icons;
    const has = (sizes: string, purpose: string) =>
      icons.some((i) => i.sizes === sizes && (i.purpose ?? 'any').split(' ').includes(purpose));
    expect(has('192x192', 'any')).toBe(true);
    expect(has('512x512', 'any')).toBe(true);
    expect(has('512x512', 'maskable')).toBe(true);

    const fetchPng = async (src: string) => {
      const res = await request.get(src);
      expect(res.ok(), src).toBe(true);
      expect(res.headers()['content-type'], src).toBe('image/png');
      return res.body();
    };
    for (const icon of icons) {
      const body = await fetchPng(icon.src);
      const { width, height } = pngSize(body);
      expect(`${width}x${height}`, icon.src).toBe(icon.sizes);
      // A maskable icon is full bleed (the platform cuts its shape); the "any" tile is rounded.
      expect(pngCornerAlpha(body), icon.src).toBe(icon.purpose === 'maskable' ? 255 : 0);
    }

    const screenshots: { src: string; sizes: string; form_factor?: string; label?: string }[] = manifest.screenshots;
    expect(screenshots.some((s) => s.form_factor === 'narrow')).toBe(true);
    for (const shot of screenshots) {
      expect(shot.label, shot.src).toBeTruthy();
      const { width, height } = pngSize(await fetchPng(shot.src));
      expect(`${width}x${height}`, shot.src).toBe(shot.sizes);
      if (shot.form_factor === 'narrow') expect(height).toBeGreaterThan(width);
      if (shot.form_factor === 'wide') expect(width).toBeGreaterThan(height);
    }

    // iOS takes its icon from the page, not the manifest: 180 px, opaque (no black corners).
    const apple = await fetchPng('/icons/apple-touch-icon-180.png');
    expect(pngSize(apple)).toEqual({ width: 180, height: 180 });
    expect(pngCornerAlpha(apple)).toBe(255);
  });

  test('the page links the manifest and the iOS icon and metadata', async ({ page, baseURL }) => {
    const app = new AppPage(page, new URL(baseURL!).origin);
    await app.goto('/');
    const head = page.locator('head');
    await expect(head.locator('link[rel="manifest"]')).toHaveAttribute('href', '/manifest.webmanifest');
    await expect(head.locator('link[rel="apple-touch-icon"]')).toHaveAttribute('href', '/icons/apple-touch-icon-180.png');
    await expect(head.locator('meta[name="theme-color"]')).toHaveAttribute('content', '#1f4e8c');
    await expect(head.locator('meta[name="apple-mobile-web-app-capable"]')).toHaveAttribute('content', 'yes');
    await expect(head.locator('meta[name="mobile-web-app-capable"]')).toHaveAttribute('content', 'yes');
    await expect(head.locator('meta[name="apple-mobile-web-app-title"]')).toHaveAttribute('content', 'Arobase');
    await expect(head.locator('meta[name="apple-mobile-web-app-status-bar-style"]')).toHaveCount(1);
    app.expectNoConsoleErrors();
    app.expectNoForeignRequests();
  });

  test('Chromium: the home banner opens the browser install dialog, then install is no longer offered', async ({ page, baseURL }) => {
    const app = new AppPage(page, new URL(baseURL!).origin);
    await spyOnPersist(page);
    await app.goto('/');
    const banner = page.getByTestId('install-banner');
    await expect(banner).toHaveCount(0);
    expect(await offerInstall(page), 'the mini-infobar gives way to the app’s own offer').toBe(true);
    await expect(banner).toBeVisible();
    await expect(banner).toContainText('Installer Arobase');
    await banner.getByRole('button', { name: 'Installer', exact: true }).click();
    await expect.poll(() => page.evaluate(() => (window as unknown as { prompts: number }).prompts)).toBe(1);
    await expect(banner).toHaveCount(0);
    await page.evaluate(() => window.dispatchEvent(new Event('appinstalled')));
    // Installed: ask the browser to keep the answers.
    await expect.poll(() => page.evaluate(() => (window as unknown as { persistCalls: number }).persistCalls)).toBeGreaterThan(0);
    expect(await offerInstall(page)).toBe(true);
    await expect(banner).toHaveCount(0);
    app.expectNoConsoleErrors();
    app.expectNoForeignRequests();
  });

  test('the banner shows on Accueil only, and « Plus tard » hides it for good', async ({ page, baseURL }) => {
    const app = new AppPage(page, new URL(baseURL!).origin);
    await app.goto('/');
    await offerInstall(page);
    const banner = page.getByTestId('install-banner');
    await expect(banner).toBeVisible();
    await app.navLink('Résultats').click();
    await expect(app.heading).toHaveText('Résultats');
    await expect(banner).toHaveCount(0);
    await app.navLink('Accueil').click();
    await expect(banner).toBeVisible();
    await banner.getByRole('button', { name: 'Plus tard' }).click();
    await expect(banner).toHaveCount(0);
    await page.reload();
    await app.waitForApp();
    await offerInstall(page);
    await expect(app.heading).toHaveText(HOME);
    await expect(banner).toHaveCount(0);
    app.expectNoConsoleErrors();
  });

  test('Réglages offers the install, even after the banner was dismissed', async ({ page, baseURL }) => {
    const app = new AppPage(page, new URL(baseURL!).origin);
    await app.goto('/reglages');
    const section = page.getByTestId('install-section');
    test.skip((await section.count()) === 0, 'InstallSection is not placed in Réglages yet (src/pages/settings.rs)');
    await expect(section.getByRole('heading', { name: "Installer l'application" })).toBeVisible();
    await expect(section).toContainText('menu de votre navigateur');
    await offerInstall(page);
    await section.getByRole('button', { name: 'Installer', exact: true }).click();
    await expect.poll(() => page.evaluate(() => (window as unknown as { prompts: number }).prompts)).toBe(1);
    await expect(section).toContainText('installée sur cet appareil');
    app.expectNoConsoleErrors();
  });

  test('iOS: the banner explains Partager → Sur l’écran d’accueil with pictograms', async ({ browser, baseURL }) => {
    const context = await browser.newContext({ userAgent: IPHONE_UA, viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, locale: 'fr-FR' });
    const page = await context.newPage();
    const app = new AppPage(page, new URL(baseURL!).origin);
    await app.goto('/');
    const banner = page.getByTestId('install-banner');
    await expect(banner).toBeVisible();
    const how = banner.getByRole('button', { name: 'Comment installer ?' });
    await expect(how).toHaveAttribute('aria-expanded', 'false');
    const guide = banner.getByTestId('ios-guide');
    await expect(guide).toBeHidden();
    await how.click();
    await expect(how).toHaveAttribute('aria-expanded', 'true');
    await expect(guide).toBeVisible();
    const steps = guide.getByRole('listitem');
    await expect(steps).toHaveCount(3);
    await expect(steps.nth(0)).toContainText('Partager');
    await expect(steps.nth(1)).toContainText("Sur l'écran d'accueil");
    await expect(guide.locator('[aria-hidden="true"] > svg')).toHaveCount(2);
    await expect(guide.locator('img')).toHaveCount(0);
    app.expectNoConsoleErrors();
    app.expectNoForeignRequests();
    await context.close();
  });

  test('installed (standalone): no install offer at all', async ({ browser, baseURL }) => {
    for (const standalone of ['display-mode', 'ios'] as const) {
      const context = await browser.newContext({
        userAgent: standalone === 'ios' ? IPHONE_UA : undefined,
        locale: 'fr-FR',
      });
      await context.addInitScript((standalone) => {
        if (standalone === 'ios') {
          Object.defineProperty(Navigator.prototype, 'standalone', { get: () => true });
        } else {
          const original = window.matchMedia.bind(window);
          window.matchMedia = (query: string) =>
            query.includes('display-mode: standalone')
              ? ({ ...original(query), matches: true, media: query, addEventListener() {}, removeEventListener() {} } as MediaQueryList)
              : original(query);
        }
      }, standalone);
      const page = await context.newPage();
      const app = new AppPage(page, new URL(baseURL!).origin);
      await app.goto('/');
      await offerInstall(page);
      await expect(app.heading).toHaveText(HOME);
      await expect(page.getByTestId('install-banner'), standalone).toHaveCount(0);
      app.expectNoConsoleErrors();
      await context.close();
    }
  });
});

test.describe('offline', () => {
  let pwa: PwaApp;

  test.beforeEach(async ({ baseURL }) => {
    pwa = await PwaApp.launch(baseURL!);
  });

  test.afterEach(async () => {
    await pwa.close();
  });

  test('after one visit online, the home page, a deep question link and the results open offline', async () => {
    await pwa.open('/');
    await expect(pwa.heading).toHaveText(HOME);
    await pwa.waitForOfflineReady();
    await expect(pwa.offlineIndicator).toHaveCount(0);

    await pwa.goOffline();
    await expect(pwa.offlineIndicator).toBeVisible();
    await expect(pwa.offlineIndicator).toContainText('Hors connexion');
    await expect(pwa.offlineIndicator).toContainText('répondre au questionnaire, voir les résultats');
    // The indicator is inside a polite live region, so screen readers announce it.
    await expect(pwa.page.locator('[aria-live="polite"]').filter({ has: pwa.offlineIndicator })).toHaveCount(1);

    await pwa.reload();
    await expect(pwa.heading).toHaveText(HOME);
    await expect(pwa.offlineIndicator).toBeVisible();

    await pwa.open(DEEP_QUESTION);
    await expect(pwa.heading).toHaveText(/.+/);
    await expect(pwa.page.getByText('Page introuvable')).toHaveCount(0);

    await pwa.open('/resultats');
    await expect(pwa.heading).toHaveText('Résultats');

    await pwa.goOnline();
    await expect(pwa.offlineIndicator).toHaveCount(0);
    await pwa.reload();
    await expect(pwa.heading).toHaveText('Résultats');
    await pwa.open('/');
    await expect(pwa.heading).toHaveText(HOME);
    pwa.app.expectNoConsoleErrors();
    pwa.expectNoForeignRequests();
  });

  test('the worker precaches the whole build; of the API it keeps only reference data, for offline use', async () => {
    await pwa.open('/');
    await pwa.waitForOfflineReady();
    const caches = await pwa.caches();
    const precache = Object.entries(caches).find(([name]) => name.startsWith('workbox-precache'))?.[1] ?? [];
    const head = await pwa.page.evaluate(() => document.head.outerHTML);
    const linked = [...head.matchAll(/(?:href|src)="(\/[^"]+)"/g)].map((m) => m[1]).filter((p) => !p.startsWith('/icons/screenshot'));
    for (const path of ['/index.html', '/manifest.webmanifest', '/favicon.svg', '/icons/icon-192.png', '/icons/icon-512.png', '/icons/icon-maskable-512.png', ...linked]) {
      expect(precache, path).toContain(path);
    }
    expect(precache.some((p) => p.endsWith('_bg.wasm')), 'the wasm is precached').toBe(true);
    expect(precache.some((p) => p.startsWith('/icons/screenshot')), 'screenshots are not precached').toBe(false);
    expect(precache.some((p) => p.startsWith('/split_association-')), "the association's console is not precached").toBe(false);
    expect(precache.some((p) => p.startsWith('/maps/')), "the console's map of France is not precached").toBe(false);
    for (const [name, paths] of Object.entries(caches)) {
      for (const path of paths.filter((p) => p.startsWith('/api/'))) {
        expect(path.startsWith('/api/questionnaire') || path === '/api/host', `${name} holds ${path}`).toBe(true);
      }
    }
    // Reference data is kept for offline use (stale-while-revalidate); other API answers never.
    const statuses = await pwa.page.evaluate(async () =>
      Promise.all(['/api/questionnaire', '/api/health'].map(async (p) => (await fetch(p)).status)),
    );
    expect(statuses).toEqual([200, 200]);
    await expect
      .poll(async () => Object.entries(await pwa.caches()).filter(([n]) => n.startsWith('arobase-reference-')).flatMap(([, p]) => p))
      .toEqual(['/api/questionnaire']);
    expect(Object.values(await pwa.caches()).flat()).not.toContain('/api/health');
    await pwa.goOffline();
    const offline = await pwa.page.evaluate(async () => {
      const questionnaire = await fetch('/api/questionnaire').then((r) => r.status, () => 'failed');
      const health = await fetch('/api/health').then((r) => r.status, () => 'failed');
      return { questionnaire, health };
    });
    expect(offline).toEqual({ questionnaire: 200, health: 'failed' });
    await pwa.goOnline();

    // The worker is one self-contained file: no importScripts, no module import.
    const sw = await (await pwa.page.request.get('/sw.js')).text();
    expect(sw).not.toMatch(/importScripts\s*\(|\bimport\s*\(|^\s*import\s|\bfrom\s*["']/m);
    pwa.expectNoForeignRequests();
  });
});
