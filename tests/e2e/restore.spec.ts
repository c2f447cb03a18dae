import { test, expect, Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serverBinary } from '../../playwright.config';
import { startServer } from '../../scripts/bench-lib.mjs';
import { loadQuestionnaire, QuestionScreen } from './pages/questionnaire';
import { enrolTwoPhones } from './pages/town';

// A server restored from a backup loses what it acknowledged after the backup; the phones still
// hold it. The restored server reports a new epoch, and the phones send everything back — the
// mayor's phone even brings back an answer whose author's phone was lost since (docs/operations.md,
// « Backups and restore »). The server side, under load and on both backends:
// crates/server/tests/backup.rs.

/** A free loopback port: the restored server must come back where the phones look for it. */
async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** The questions of the town's log on the server, as the phone's token reads them. */
async function onServer(page: Page): Promise<string[]> {
  return page.evaluate(async () => {
    const token = JSON.parse(localStorage.getItem('arobase.settings')!).sync.token;
    const ops: { id: string; question: string }[] = [];
    for (let after = 0; ;) {
      const response = await fetch(`/api/sync/pull?after=${after}&limit=500`, {
        headers: { Authorization: `Bearer ${token}` },
      });
      const page = await response.json();
      ops.push(...page.ops);
      if (!page.more) break;
      after = page.next;
    }
    if (new Set(ops.map((op) => op.id)).size !== ops.length) throw new Error('an operation twice');
    return ops.map((op) => op.question);
  });
}

test('after a restore, the phones bring back what the backup missed, once', async ({ browser, request }) => {
  test.setTimeout(180_000);
  const dir = mkdtempSync(join(tmpdir(), 'arobase-restore-'));
  const listen = `127.0.0.1:${await freePort()}`;
  let server = await startServer({ server: serverBinary, dir, listen });
  try {
    const database = `sqlite://${server.database}`;
    const { mayor, deputy, mayorPage, deputyPage, mayorTown, deputyTown } =
      await enrolTwoPhones(browser, server.base, 'Plouguerneau');
    const questions = (await loadQuestionnaire(request)).flatMap((t) => t.questions).slice(0, 6);
    const answer = async (page: Page, n: number) => {
      const screen = new QuestionScreen(page);
      await screen.open(questions[n]);
      await screen.choose(questions[n].options[0]);
    };
    // Before the backup: two answers, both phones synced.
    await answer(mayorPage, 0);
    await answer(deputyPage, 1);
    await mayorTown.open();
    await mayorTown.sync();
    await deputyTown.open();
    await deputyTown.sync();

    // The backup, taken while the server serves.
    const backup = join(dir, 'backup.sqlite');
    execFileSync(serverBinary, ['--database-url', database, 'backup', '--to', backup]);

    // After it, acknowledged by the server: lost by the restore.
    await answer(mayorPage, 2);
    await answer(deputyPage, 3);
    await deputyTown.open();
    await deputyTown.sync();
    await mayorTown.open();
    await mayorTown.sync();
    expect((await onServer(mayorPage)).sort()).toEqual(questions.slice(0, 4).map((q) => q.id).sort());
    // The deputy's phone is lost: only the mayor's still holds the deputy's last answer.
    await deputy.close();

    const epoch = async () => (await (await fetch(`${server.base}/api/health`)).json()).epoch;
    const before = await epoch();
    await server.stop();
    execFileSync(serverBinary, ['--database-url', database, 'restore', '--from', backup]);
    server = await startServer({ server: serverBinary, dir, listen });
    expect(await epoch(), 'a restored server is a new epoch').not.toEqual(before);

    // The mayor's phone sees the new epoch, sends everything back, and goes on answering.
    await mayorTown.open();
    await mayorTown.sync();
    await answer(mayorPage, 4);
    await mayorTown.open();
    await mayorTown.sync();
    expect((await onServer(mayorPage)).sort(), 'each answer once')
      .toEqual(questions.slice(0, 5).map((q) => q.id).sort());
    await mayor.close();
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
