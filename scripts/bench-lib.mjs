// What the browser benchmarks share: Debian's Chromium with the Playwright tests' flags, and a
// throw-away release server on a free loopback port (its request log silenced: figures only).
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CHROMIUM = '/usr/bin/chromium';
export const ARGS = ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Starts the release server (or `server`, serving `dist`) on its own SQLite file (a fresh one, or
 *  a copy of `database`); resolves to `{ base, stop, database }` (`stop` resolves once it exited).
 *  `dir`: keep the file in this directory instead (left in place at `stop`: a restart on the same
 *  `listen` address finds it). */
export async function startServer({ server: binary = 'target/release/arobase-server', dist = 'dist', env = {}, database,
  dir: given, listen = '127.0.0.1:0' } = {}) {
  const dir = given ?? mkdtempSync(join(tmpdir(), 'arobase-bench-'));
  const file = join(dir, 'bench.sqlite');
  if (database) copyFileSync(database, file);
  const server = spawn(binary,
    ['--listen', listen, '--database-url', `sqlite://${file}`, '--dist', dist],
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, RUST_LOG: 'warn', ...env } });
  const exited = new Promise((resolve) => server.on('exit', resolve));
  const base = await new Promise((resolve, reject) => {
    server.stdout.on('data', (chunk) => {
      const match = /http:\/\/[\d.:]+/.exec(chunk.toString());
      if (match) resolve(match[0]);
    });
    exited.then((code) => reject(new Error(`server exited with ${code}`)));
  });
  const stop = async () => {
    server.kill();
    await exited;
    if (!given) rmSync(dir, { recursive: true, force: true });
  };
  return { base, stop, database: file };
}

/** « 1.2–1.5 s (median 1.3) » of a list of values, with `format` for each figure. */
export function range(values, format) {
  const sorted = [...values].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  return `${format(sorted[0])}–${format(sorted[sorted.length - 1])} (median ${format(median)})`;
}
