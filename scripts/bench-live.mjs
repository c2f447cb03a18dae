#!/usr/bin/env node
// Live updates on this machine, over loopback, against the release server on a throw-away SQLite
// database. Figures to quote, never asserted.
//
// 1. Latency: phone A pushes an answer; phone B, holding its live stream (GET /api/sync/events),
//    receives the event and pulls the answer. Median and p95 of 20, from A's push to B holding
//    the operation (what the app then renders takes a frame more).
// 2. Capacity: 2,000 streams held open at once (63 towns of 32 devices, the per-town bound): the
//    server's resident memory and open file descriptors before and with them, and the time one
//    push takes to be announced to a town's 31 other streams meanwhile.
//
//   node scripts/bench-live.mjs [--streams N] [--rounds N]
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

const arg = (name, fallback) => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
};
const STREAMS = arg('streams', 2000);
const ROUNDS = arg('rounds', 20);
const PER_TOWN = 32;
const port = 18000 + Math.floor(Math.random() * 1000);
const base = `http://127.0.0.1:${port}`;
const dir = mkdtempSync(join(tmpdir(), 'arobase-bench-live-'));

const server = spawn('target/release/arobase-server', [
  '--listen', `127.0.0.1:${port}`,
  '--database-url', `sqlite://${dir}/bench.sqlite`,
  '--town-spaces', 'open',
  '--live-streams', String(STREAMS + 100),
], {
  env: { ...process.env, RUST_LOG: 'warn', AROBASE_ANONYMOUS_BURST: '1000000', AROBASE_INVITES_BURST: '1000000' },
  stdio: ['ignore', 'ignore', 'inherit'],
});
const stop = () => { server.kill('SIGTERM'); rmSync(dir, { recursive: true, force: true }); };
process.on('exit', stop);

async function call(method, path, token, body) {
  const headers = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(base + path, { method, headers, body: body && JSON.stringify(body) });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

for (let i = 0; ; i++) {
  try { await call('GET', '/api/health'); break; } catch { if (i > 300) throw new Error('server did not start'); }
  await new Promise((r) => setTimeout(r, 100));
}

const questionnaire = await call('GET', '/api/questionnaire');
const questions = questionnaire.themes.flatMap((t) => t.questions);
const communes = JSON.parse(readFileSync('node_modules/@etalab/decoupage-administratif/data/communes.json'))
  .filter((c) => c.type === 'commune-actuelle').map((c) => c.code);

/** A UUIDv7 for an operation id. */
function opId() {
  const bytes = randomBytes(16);
  const ms = BigInt(Date.now());
  for (let i = 0; i < 6; i++) bytes[i] = Number((ms >> BigInt(8 * (5 - i))) & 0xffn);
  bytes[6] = 0x70 | (bytes[6] & 0x0f);
  bytes[8] = 0x80 | (bytes[8] & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

let counter = 0;
function answer(device, n) {
  const q = questions[n % questions.length];
  counter++;
  return {
    id: opId(), device, campaign: '2026', question: q.id, option: q.answers[n % q.answers.length].id,
    clock: { wall_ms: Date.now(), counter: counter % 60000, device },
  };
}

async function town(index, devices) {
  const created = await call('POST', '/api/towns', null, { commune: communes[index], name: `Maire ${index}`, role: 'maire' });
  const phones = [{ token: created.token, device: created.device.id }];
  while (phones.length < devices) {
    const invite = await call('POST', '/api/invites', created.token, {});
    const joined = await call('POST', '/api/join', null, { secret: invite.secret, name: `Élu ${phones.length}`, role: 'conseiller' });
    phones.push({ token: joined.token, device: joined.device.id });
  }
  return phones;
}

/** Opens a phone's stream; `next()` resolves with the next ops event's sequence number. */
async function stream(phone) {
  const controller = new AbortController();
  const response = await fetch(base + '/api/sync/events', {
    headers: { authorization: `Bearer ${phone.token}` }, signal: controller.signal,
  });
  if (response.status !== 200) throw new Error(`stream: ${response.status} ${await response.text()}`);
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const next = async () => {
    for (;;) {
      const end = buffer.indexOf('\n\n');
      if (end >= 0) {
        const event = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = event.split('\n').find((l) => l.startsWith('data: '));
        if (event.includes('event: ops') && data) return Number(data.slice(6));
        continue;
      }
      const { value, done } = await reader.read();
      if (done) throw new Error('stream ended');
      buffer += decoder.decode(value, { stream: true });
    }
  };
  return { next, close: () => controller.abort() };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const p95 = (xs) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(xs.length * 0.95) - 1)];

// 1. Latency.
const [a, b] = await town(0, 2);
const live = await stream(b);
let cursor = await live.next();
const latencies = [];
for (let round = 0; round < ROUNDS; round++) {
  const started = performance.now();
  await call('POST', '/api/sync/push', a.token, { ops: [answer(a.device, round)] });
  const last = await live.next();
  const page = await call('GET', `/api/sync/pull?after=${cursor}`, b.token);
  if (page.ops.length === 0) throw new Error('event without operations');
  cursor = Math.max(cursor, last, page.next);
  latencies.push(performance.now() - started);
  await new Promise((r) => setTimeout(r, 50));
}
live.close();
console.log(`answer on A → held by B (push, event, pull), ${ROUNDS} rounds: median ${median(latencies).toFixed(1)} ms, p95 ${p95(latencies).toFixed(1)} ms`);

// 2. Capacity.
const memory = () => {
  const status = readFileSync(`/proc/${server.pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024;
};
const fds = () => readdirSync(`/proc/${server.pid}/fd`).length;
await new Promise((r) => setTimeout(r, 500));
const before = { rss: memory(), fds: fds() };
const towns = [];
for (let t = 1; towns.flat().length < STREAMS; t++) {
  towns.push(await town(t, Math.min(PER_TOWN, STREAMS - towns.flat().length)));
}
const opened = performance.now();
const streams = [];
for (const phones of towns) {
  const open = await Promise.all(phones.map(stream));
  await Promise.all(open.map((s) => s.next()));
  streams.push(open);
}
const openMs = performance.now() - opened;
await new Promise((r) => setTimeout(r, 1000));
const during = { rss: memory(), fds: fds() };
const [writer, ...listeners] = towns[0];
const fanned = performance.now();
await call('POST', '/api/sync/push', writer.token, { ops: [answer(writer.device, 1)] });
await Promise.all(streams[0].slice(1).map((s) => s.next()));
const fanMs = performance.now() - fanned;
console.log(`${streams.flat().length} streams (${towns.length} towns) opened in ${(openMs / 1000).toFixed(1)} s`);
console.log(`server RSS ${before.rss.toFixed(1)} MiB → ${during.rss.toFixed(1)} MiB (${(((during.rss - before.rss) * 1024) / streams.flat().length).toFixed(1)} KiB per stream); fds ${before.fds} → ${during.fds}`);
console.log(`one push announced to ${listeners.length} streams of its town, with ${streams.flat().length} open: ${fanMs.toFixed(1)} ms`);
streams.flat().forEach((s) => s.close());
process.exit(0);
