import { test, expect } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { e2eDatabase, serverBinary } from '../../playwright.config';
import { startServer } from '../../scripts/bench-lib.mjs';
import { loadQuestionnaire, QuestionScreen } from './pages/questionnaire';
import { enrolTwoPhones, TownScreen } from './pages/town';

// A phone that ran an earlier release opens the new one: its stored data is upgraded (a backup
// of the old document is kept) and it syncs with its server, upgraded too. The fixture is what
// that release's app really wrote: the mayor's localStorage (three answers synced, a fourth
// still waiting to be sent) and the server's SQLite file at that moment. `crates/server/tests/
// upgrade.rs` checks the server side of every release on SQLite and PostgreSQL; this is the phone.
// A release that changes what the app stores writes its own fixture and keeps the older ones:
//   AROBASE_WRITE_FIXTURES=1 npx playwright test upgrade   (alone: it copies the e2e database)

/** The releases whose phones this app must open, oldest first. */
const RELEASES = ['2026.12'];
const CURRENT = '2026.12';
const fixtureDir = (release: string) => join('tests', 'e2e', 'fixtures', 'upgrade', release);

interface PhoneFixture {
  /** The questions answered, in order; the last one was never sent. */
  answered: { theme: string; id: string; option: string }[];
  /** The phone's localStorage, key by key. */
  storage: Record<string, string>;
}

for (const release of RELEASES) {
  test(`a phone of release ${release} keeps its answers and sends the one it had not`, async ({ browser, request }) => {
    // It starts a server of its own and opens four questions: more than the default 30 s on a busy machine.
    test.setTimeout(120_000);
    const fixture: PhoneFixture = JSON.parse(readFileSync(join(fixtureDir(release), 'phone.json'), 'utf8'));
    const server = await startServer({ server: serverBinary, database: join(fixtureDir(release), 'town.sqlite') });
    try {
      const context = await browser.newContext({ baseURL: server.base, locale: 'fr-FR' });
      const page = await context.newPage();
      await page.goto('/');
      await page.evaluate((storage) => {
        localStorage.clear();
        for (const [key, value] of Object.entries(storage)) localStorage.setItem(key, value);
      }, fixture.storage);
      await page.reload();

      const questions = (await loadQuestionnaire(request)).flatMap((t) => t.questions);
      const screen = new QuestionScreen(page);
      for (const answer of fixture.answered) {
        await screen.open(questions.find((q) => q.id === answer.id)!);
        await expect(screen.option(answer.option)).toBeChecked();
      }
      // The old document is kept aside, as for any upgrade.
      const keys = await page.evaluate(() => Object.keys(localStorage));
      expect(keys.some((key) => key.startsWith('arobase.backup.'))).toBeTruthy();

      // The answer that was never sent reaches the server, which still knows the phone.
      const town = new TownScreen(page);
      await town.open();
      await town.sync();
      await expect(page.getByTestId('enrolled')).toBeVisible();
      const unsent = fixture.answered[fixture.answered.length - 1];
      const pulled = await page.evaluate(async () => {
        const response = await fetch('/api/sync/pull?after=0&limit=500', {
          headers: { Authorization: `Bearer ${JSON.parse(localStorage.getItem('arobase.settings')!).sync.token}` },
        });
        return (await response.json()).ops.map((op: { question: string }) => op.question);
      });
      expect(pulled).toContain(unsent.id);
      expect(new Set(pulled).size, 'no answer twice').toBe(pulled.length);
      await context.close();
    } finally {
      await server.stop();
    }
  });
}

test('write the phone fixture of this release', async ({ browser, baseURL, request }) => {
  test.skip(!process.env.AROBASE_WRITE_FIXTURES, 'writes fixtures: AROBASE_WRITE_FIXTURES=1 npx playwright test upgrade');
  const { mayor, mayorPage, mayorTown } = await enrolTwoPhones(browser, baseURL!, 'Plouguerneau');
  const questions = (await loadQuestionnaire(request)).flatMap((t) => t.questions).slice(0, 4);
  const screen = new QuestionScreen(mayorPage);
  const answered = [];
  for (const [i, question] of questions.entries()) {
    if (i === questions.length - 1) {
      // The last answer stays on the phone: its push never reaches the server.
      await mayorTown.open();
      await mayorTown.sync();
      await mayor.route('**/api/sync/**', (route) => route.abort());
    }
    await screen.open(question);
    await screen.choose(question.options[0]);
    answered.push({ theme: question.theme, id: question.id, option: question.options[0] });
  }
  const storage = await mayorPage.evaluate(() => Object.fromEntries(Object.entries(localStorage)));
  const dir = fixtureDir(CURRENT);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'phone.json'), JSON.stringify({ answered, storage }, null, 2) + '\n');
  // One self-contained file, taken while the server runs.
  rmSync(join(dir, 'town.sqlite'), { force: true });
  execFileSync('sqlite3', [e2eDatabase, `VACUUM INTO '${join(dir, 'town.sqlite')}'`]);
  // The server imports the commune list at every start: keep only the rows the town refers to.
  execFileSync('sqlite3', [join(dir, 'town.sqlite'),
    'DELETE FROM communes WHERE code NOT IN (SELECT commune_code FROM towns); VACUUM']);
});
