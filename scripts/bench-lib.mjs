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
 *  a copy of `database`); resolves to `{ base, stop }`. */
export async function startServer({ server: binary = 'target/release/arobase-server', dist = 'dist', env = {}, database } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'arobase-bench-'));
  if (database) copyFileSync(database, join(dir, 'bench.sqlite'));
  const server = spawn(binary,
    ['--listen', '127.0.0.1:0', '--database-url', `sqlite://${dir}/bench.sqlite`, '--dist', dist],
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, RUST_LOG: 'warn', ...env } });
  const base = await new Promise((resolve, reject) => {
    server.stdout.on('data', (chunk) => {
      const match = /http:\/\/[\d.:]+/.exec(chunk.toString());
      if (match) resolve(match[0]);
    });
    server.on('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  const stop = () => {
    server.kill();
    rmSync(dir, { recursive: true, force: true });
  };
  return { base, stop };
}

/** « 1.2–1.5 s (median 1.3) » of a list of values, with `format` for each figure. */
export function range(values, format) {
  const sorted = [...values].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  return `${format(sorted[0])}–${format(sorted[sorted.length - 1])} (median ${format(median)})`;
}
