import { defineConfig, devices } from '@playwright/test';

// End-to-end tests drive Debian's Chromium (never a downloaded browser) against the real server
// serving the release build, on a throw-away SQLite database.
const port = Number(process.env.E2E_PORT ?? 18181);
export const baseURL = `http://127.0.0.1:${port}`;

export const chromiumArgs = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export default defineConfig({
  testDir: 'tests/e2e',
  fullyParallel: false,
  workers: 1,
  forbidOnly: !!process.env.CI,
  retries: 0,
  reporter: [['list']],
  use: {
    baseURL,
    ...devices['Pixel 7'],
    browserName: 'chromium',
    locale: 'fr-FR',
    launchOptions: { executablePath: '/usr/bin/chromium', args: chromiumArgs },
    trace: 'retain-on-failure',
  },
  webServer: {
    command: `sh -c 'd=$(mktemp -d) && exec target/release/arobase-server --listen 127.0.0.1:${port} --database-url "sqlite://$d/e2e.sqlite" --dist dist'`,
    url: `${baseURL}/api/health`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'pipe',
    // Request logs would drown the test report; warnings and errors still show.
    env: { RUST_LOG: 'warn', AROBASE_ANONYMOUS_BURST: '100000', AROBASE_INVITES_BURST: '100000' },
  },
});
