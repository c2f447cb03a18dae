import { chromium } from '@playwright/test';
import { ARGS, CHROMIUM, startServer } from './bench-lib.mjs';
const { base, stop } = await startServer();
const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
const context = await browser.newContext({ serviceWorkers: 'block' });
const page = await context.newPage();
const cdp = await context.newCDPSession(page);
await cdp.send('Network.enable');
await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 150, downloadThroughput: (1.6 * 1024 * 1024) / 8, uploadThroughput: (750 * 1024) / 8 });
await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
await page.addInitScript(() => { window.__log = []; new MutationObserver(() => { const r = document.querySelector('#app-shell input[type=radio]'); if (r) window.__log.push([performance.now(), r.getClientRects().length]); }).observe(document, { subtree: true, childList: true }); });
await page.goto(base + '/', { waitUntil: 'commit' });
const link = page.getByRole('link', { name: 'Commencer le diagnostic' });
await link.waitFor({ state: 'visible' });
console.log('shell?', await page.locator('#app-shell').count());
await link.click();
for (let i = 0; i < 6; i++) { await page.waitForTimeout(1000); try { console.log(page.url(), JSON.stringify(await page.evaluate(() => [document.getElementById('app-shell') ? 1 : 0, (window.__log||[]).slice(0,3)]))); } catch (e) { console.log('err', e.message.slice(0,80)); } }
await browser.close(); stop();
