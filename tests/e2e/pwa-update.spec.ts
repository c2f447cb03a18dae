import { test, expect } from '@playwright/test';
import { PwaApp, Server, makeBuild } from './pages/pwa';

// Two builds served in turn on one origin (same port): build A, then build B with a changed
// stylesheet, as a redeployment looks to a phone that has the app.
const PORT = Number(process.env.E2E_UPDATE_PORT ?? 18191);

test.describe('update', () => {
  test('a new version waits for « Mettre à jour », then runs; old caches go, answers stay', async () => {
    test.setTimeout(120_000);
    const a = makeBuild('dist', 'A');
    const b = makeBuild('dist', 'B');
    let server = await Server.start(a.dir, PORT);
    const pwa = await PwaApp.launch(server.url);
    try {
      await pwa.open('/');
      await pwa.waitForOfflineReady();
      expect(await pwa.buildMarker()).toBe('A');
      // Something the user keeps on the phone, next to whatever the app itself stored.
      await pwa.page.evaluate(() => localStorage.setItem('arobase.test.kept', JSON.stringify({ answer: 'stage-3' })));
      const storageBefore = await pwa.localStorage();
      const cachesA = await pwa.caches();
      const runtimeA = Object.keys(cachesA).filter((n) => n.startsWith('arobase-'));
      expect(runtimeA.length, 'build A has versioned runtime caches').toBeGreaterThan(0);
      expect(Object.values(cachesA).flat()).toContain(a.css);

      await server.stop();
      server = await Server.start(b.dir, PORT);
      // The phone finds the network again: the app asks for a new worker at once.
      await pwa.goOffline();
      await pwa.goOnline();

      await expect(pwa.updateBanner).toBeVisible({ timeout: 30_000 });
      await expect(pwa.updateBanner).toContainText('Nouvelle version disponible');
      expect(await pwa.buildMarker(), 'nothing changes before the user agrees').toBe('A');
      expect(await pwa.page.evaluate(async () => !!(await navigator.serviceWorker.getRegistration())?.waiting)).toBe(true);

      await Promise.all([pwa.page.waitForEvent('load'), pwa.updateButton.click()]);
      await pwa.app.waitForApp();
      expect(await pwa.buildMarker()).toBe('B');
      expect(await pwa.page.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue('--arobase-build').trim())).toBe('"B"');
      await expect(pwa.updateBanner).toHaveCount(0);
      expect(await pwa.page.evaluate(async () => !!(await navigator.serviceWorker.getRegistration())?.waiting)).toBe(false);

      // Old caches gone: A's runtime caches, and A's stylesheet in the precache.
      await expect.poll(async () => Object.keys(await pwa.caches()).filter((n) => runtimeA.includes(n))).toEqual([]);
      const all = Object.values(await pwa.caches()).flat();
      expect(all).not.toContain(a.css);
      expect(all).toContain(b.css);
      expect(await pwa.localStorage()).toEqual(storageBefore);

      // Build B works offline too.
      await pwa.goOffline();
      await pwa.open('/resultats');
      await expect(pwa.heading).toHaveText('Résultats');
      expect(await pwa.buildMarker()).toBe('B');
      pwa.app.expectNoConsoleErrors();
      pwa.expectNoForeignRequests();
    } finally {
      await pwa.close();
      await server.stop();
      a.remove();
      b.remove();
    }
  });
});
