import { chromium, devices, expect, type BrowserContext, type Locator, type Page } from '@playwright/test';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { inflateSync } from 'node:zlib';
import { cpSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromiumArgs, serverBinary } from '../../../playwright.config';
import { AppPage } from './app';

/**
 * Page object for the installable, offline app: a real browser profile on disk (service workers
 * and caches survive reloads, as on a phone), with every request of the context recorded — the
 * page's and the service worker's — so a test can assert that nothing leaves the origin.
 *
 * Typical use:
 *   const pwa = await PwaApp.launch(baseURL);
 *   await pwa.open('/');             // first visit, online
 *   await pwa.waitForOfflineReady(); // worker installed, precache complete, page controlled
 *   await pwa.goOffline();
 *   await pwa.open('/resultats');    // served by the worker
 *   ...
 *   await pwa.close();
 */
export class PwaApp {
  readonly requests: string[] = [];
  readonly app: AppPage;

  private constructor(
    readonly context: BrowserContext,
    readonly page: Page,
    readonly origin: string,
    private readonly profileDir: string,
  ) {
    this.app = new AppPage(page, origin);
    context.on('request', (req) => this.requests.push(req.url()));
  }

  /** A persistent Chromium profile in a fresh temporary directory (Pixel 7, French). */
  static async launch(baseURL: string, options: { userAgent?: string } = {}): Promise<PwaApp> {
    const profileDir = mkdtempSync(join(tmpdir(), 'arobase-profile-'));
    const { defaultBrowserType: _ignored, ...pixel } = devices['Pixel 7'];
    const context = await chromium.launchPersistentContext(profileDir, {
      ...pixel,
      ...options,
      executablePath: '/usr/bin/chromium',
      args: chromiumArgs,
      locale: 'fr-FR',
      baseURL,
      serviceWorkers: 'allow',
    });
    const page = context.pages()[0] ?? (await context.newPage());
    return new PwaApp(context, page, new URL(baseURL).origin, profileDir);
  }

  async close() {
    await this.context.close();
    rmSync(this.profileDir, { recursive: true, force: true });
  }

  async open(path: string) {
    await this.page.goto(path);
    await this.app.waitForApp();
  }

  async reload() {
    await this.page.reload();
    await this.app.waitForApp();
  }

  get heading(): Locator {
    return this.app.heading;
  }

  /** The worker is activated and controls the page: everything is precached from then on. */
  async waitForOfflineReady() {
    await this.page.waitForFunction(
      () => navigator.serviceWorker?.controller?.state === 'activated',
      undefined,
      { timeout: 30_000 },
    );
  }

  async goOffline() {
    await this.context.setOffline(true);
  }

  async goOnline() {
    await this.context.setOffline(false);
  }

  get offlineIndicator(): Locator {
    return this.page.getByTestId('offline-indicator');
  }

  get updateBanner(): Locator {
    return this.page.getByTestId('update-banner');
  }

  get updateButton(): Locator {
    return this.updateBanner.getByRole('button', { name: 'Mettre à jour' });
  }

  get installBanner(): Locator {
    return this.page.getByTestId('install-banner');
  }

  /** Every cache of the origin and the paths it holds. */
  async caches(): Promise<Record<string, string[]>> {
    return this.page.evaluate(async () => {
      const out: Record<string, string[]> = {};
      for (const name of await caches.keys()) {
        const keys = await (await caches.open(name)).keys();
        out[name] = keys.map((r) => new URL(r.url).pathname).sort();
      }
      return out;
    });
  }

  async localStorage(): Promise<Record<string, string>> {
    return this.page.evaluate(() => {
      const out: Record<string, string> = {};
      for (let i = 0; i < localStorage.length; i++) {
        const key = localStorage.key(i)!;
        out[key] = localStorage.getItem(key)!;
      }
      return out;
    });
  }

  /** The build marker that {@link makeBuild} writes into index.html. */
  async buildMarker(): Promise<string | null> {
    return this.page.locator('meta[name="arobase-build"]').getAttribute('content');
  }

  /** Requests that left the origin (none are allowed: no CDN, fonts or analytics). */
  foreignRequests(): string[] {
    return this.requests.filter((url) => {
      const u = new URL(url);
      return u.origin !== this.origin && !['data:', 'blob:', 'chrome-extension:'].includes(u.protocol);
    });
  }

  expectNoForeignRequests() {
    expect(this.requests.length, 'requests were recorded').toBeGreaterThan(0);
    expect(this.foreignRequests(), 'requests to other origins').toEqual([]);
  }
}

/** The server (`serverBinary`) on `dist`, on its own port and throw-away database. */
export class Server {
  private constructor(private readonly child: ChildProcess, private readonly dataDir: string, readonly url: string) {}

  static async start(dist: string, port: number): Promise<Server> {
    const dataDir = mkdtempSync(join(tmpdir(), 'arobase-e2e-db-'));
    const url = `http://127.0.0.1:${port}`;
    const child = spawn(serverBinary, [
      '--listen', `127.0.0.1:${port}`, '--database-url', `sqlite://${dataDir}/e2e.sqlite`, '--dist', dist,
    ], { stdio: 'ignore' });
    const server = new Server(child, dataDir, url);
    for (let i = 0; i < 200; i++) {
      if (child.exitCode !== null) throw new Error(`arobase-server exited with ${child.exitCode}`);
      try {
        if ((await fetch(`${url}/api/health`)).ok) return server;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    await server.stop();
    throw new Error(`arobase-server did not answer on ${url}`);
  }

  async stop() {
    if (this.child.exitCode === null) {
      const exited = new Promise((r) => this.child.once('exit', r));
      this.child.kill('SIGTERM');
      await exited;
    }
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/**
 * A copy of the built app in a temporary directory, marked as build `name`: a
 * `<meta name="arobase-build">` in index.html and a changed stylesheet (so a hashed asset is
 * renamed, as in a real new version), then the worker's precache list rebuilt by
 * scripts/sw-build.mjs — exactly what a new deployment looks like to a phone.
 */
export function makeBuild(dist: string, name: string): { dir: string; css: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `arobase-build-${name}-`));
  cpSync(dist, dir, { recursive: true });
  const cssName = readdirSync(dir).find((f) => /^main-[0-9a-f]{12,16}\.css$/.test(f));
  if (!cssName) throw new Error(`no main-<hash>.css in ${dist}`);
  const css = readFileSync(join(dir, cssName), 'utf8') + `\n:root { --arobase-build: "${name}"; }\n`;
  const newName = `main-${createHash('sha256').update(css).digest('hex').slice(0, 16)}.css`;
  rmSync(join(dir, cssName));
  writeFileSync(join(dir, newName), css);
  const integrity = `sha384-${createHash('sha384').update(css).digest('base64')}`;
  let html = readFileSync(join(dir, 'index.html'), 'utf8');
  html = html.replace(
    new RegExp(`href="/${cssName}" integrity="[^"]*"`),
    `href="/${newName}" integrity="${integrity}"`,
  );
  if (!html.includes(newName)) throw new Error('index.html does not link the stylesheet as expected');
  html = html.replace('<head>', `<head>\n  <meta name="arobase-build" content="${name}">`);
  writeFileSync(join(dir, 'index.html'), html);
  execFileSync('node', ['scripts/sw-build.mjs', '--dir', dir], { stdio: 'ignore' });
  return { dir, css: `/${newName}`, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Width and height of a PNG, from its IHDR chunk. */
export function pngSize(bytes: Buffer): { width: number; height: number } {
  expect(bytes.subarray(1, 4).toString('latin1'), 'PNG signature').toBe('PNG');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

/** Alpha (0–255) of the top-left pixel of an 8-bit RGBA PNG: tells a full-bleed icon from a rounded one. */
export function pngCornerAlpha(bytes: Buffer): number {
  expect(bytes[24], 'bit depth').toBe(8);
  expect(bytes[25], 'colour type RGBA').toBe(6);
  const idat: Buffer[] = [];
  for (let at = 8; at < bytes.length; ) {
    const length = bytes.readUInt32BE(at);
    if (bytes.toString('latin1', at + 4, at + 8) === 'IDAT') idat.push(bytes.subarray(at + 8, at + 8 + length));
    at += 12 + length;
  }
  // Row 0, pixel 0: every PNG filter predicts 0 there, so the filtered byte is the pixel's.
  return inflateSync(Buffer.concat(idat))[4];
}
