import { defineConfig, devices } from '@playwright/test';

// End-to-end tests drive Debian's Chromium (never a downloaded browser) against the real server
// serving the release build, on a throw-away SQLite database.
const port = Number(process.env.E2E_PORT ?? 18181);
/** The server binary every spec runs: the release build by default; `make test` passes the debug
 *  build `cargo test` has just made (the same code, without a second full compilation in CI). */
export const serverBinary = process.env.AROBASE_E2E_SERVER ?? 'target/release/arobase-server';
export const baseURL = `http://127.0.0.1:${port}`;
/** The e2e server's SQLite file (removed before each run): the association test runs the
 *  server's CLI (`operator add`) on it, as an association's admin would on the real one. */
export const e2eDatabase = `target/e2e/e2e-${port}.sqlite`;

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
    command: `sh -c 'mkdir -p target/e2e && rm -f ${e2eDatabase} ${e2eDatabase}-wal ${e2eDatabase}-shm && exec ${serverBinary} --listen 127.0.0.1:${port} --database-url "sqlite://${e2eDatabase}" --dist dist'`,
    url: `${baseURL}/api/health`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'pipe',
    // Request logs would drown the test report; warnings and errors still show. The network's
    // figures are published every 2 s instead of hourly, so network.spec.ts sees them at once.
    env: {
      RUST_LOG: 'warn',
      AROBASE_ANONYMOUS_BURST: '100000',
      AROBASE_INVITES_BURST: '100000',
      AROBASE_PUBLICATION_INTERVAL_SECS: '2',
    },
  },
});
