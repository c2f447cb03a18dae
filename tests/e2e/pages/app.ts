import { expect, type Locator, type Page, type ConsoleMessage, type Request } from '@playwright/test';

/** Page object for the app shell: navigation, headings, and what the browser reports meanwhile. */
export class AppPage {
  readonly consoleErrors: string[] = [];
  readonly foreignRequests: string[] = [];

  constructor(readonly page: Page, readonly origin: string) {
    page.on('console', (msg: ConsoleMessage) => {
      if (msg.type() === 'error' || msg.type() === 'warning') this.consoleErrors.push(`${msg.type()}: ${msg.text()}`);
    });
    page.on('pageerror', (err) => this.consoleErrors.push(`pageerror: ${err.message}`));
    page.on('request', (req: Request) => {
      const url = new URL(req.url());
      if (url.origin !== origin && url.protocol !== 'data:') this.foreignRequests.push(req.url());
    });
  }

  async goto(path: string) {
    await this.page.goto(path);
    await this.waitForApp();
  }

  /** The app has mounted when its main navigation exists. */
  async waitForApp() {
    await expect(this.nav).toBeVisible();
  }

  get nav(): Locator {
    return this.page.getByRole('navigation', { name: 'Navigation principale' });
  }

  get heading(): Locator {
    return this.page.getByRole('heading', { level: 1 });
  }

  navLink(name: string): Locator {
    return this.nav.getByRole('link', { name, exact: true });
  }

  expectNoConsoleErrors() {
    expect(this.consoleErrors, 'console errors and warnings').toEqual([]);
  }

  expectNoForeignRequests() {
    expect(this.foreignRequests, 'requests to other origins').toEqual([]);
  }
}
