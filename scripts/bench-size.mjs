// Size benchmark: the brotli size of every file a first visit downloads before the app runs, and
// the total against the 150 KB budget; then the WebAssembly chunks the app fetches afterwards (in
// the background once it runs, or when their page first opens) and the service worker's precache.
//
// The first-visit list is read from the build, not hard-coded, so a new asset cannot slip past the
// count: index.html and what it references (script, wasm preload, stylesheets, icon, manifest),
// then every module those scripts import, recursively (the chunk loader, wasm-bindgen snippets).
// Usage: node scripts/bench-size.mjs [dist]
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join, dirname, normalize } from 'node:path';
import { brotliCompressSync, constants } from 'node:zlib';

const BUDGET = 150 * 1024;
const dist = process.argv[2] ?? 'dist';
const html = readFileSync(join(dist, 'index.html'), 'utf8');

const firstVisit = new Set(['index.html']);
const pending = [];
const add = (path) => {
  if (!path || firstVisit.has(path) || !existsSync(join(dist, path))) return;
  firstVisit.add(path);
  if (path.endsWith('.js')) pending.push(path);
};
const local = (url) => !/^[a-z]+:/i.test(url) && !url.startsWith('//'); // no third-party assets anyway
for (const [, url] of html.matchAll(/(?:href|src)="([^"]+)"/g)) {
  if (local(url)) add(url.replace(/^\//, '').split(/[?#]/)[0]);
}
// Modules imported by the inline loader script (`import init from '/x.js'`).
for (const [, url] of html.matchAll(/from\s+'([^']+)'/g)) add(url.replace(/^\//, ''));
// Static imports of those modules, relative to each importing file.
while (pending.length) {
  const file = pending.pop();
  const text = readFileSync(join(dist, file), 'utf8');
  for (const [, url] of text.matchAll(/(?:^|\n)\s*import\s[^'"]*?from\s*["']([^"']+)["']/g)) {
    add(url.startsWith('/') ? url.slice(1) : normalize(join(dirname(file), url)));
  }
}

// Fetched after the app starts: the chunks named by the loader (`new URL("./chunk.wasm", …)`).
const later = new Set();
for (const file of firstVisit) {
  if (!file.endsWith('.js')) continue;
  const text = readFileSync(join(dist, file), 'utf8');
  for (const [, url] of text.matchAll(/new URL\("\.\/([^"]+\.wasm)"/g)) later.add(normalize(join(dirname(file), url)));
}

const brotli = (buf) =>
  brotliCompressSync(buf, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: buf.length } }).length;
const kb = (n) => (n / 1024).toFixed(1).padStart(8) + ' KB';

function table(title, files) {
  let raw = 0;
  let br = 0;
  console.log(title.padEnd(48) + '      raw'.padStart(11) + '   brotli'.padStart(11));
  for (const file of [...files].sort()) {
    const buf = readFileSync(join(dist, file));
    const size = brotli(buf);
    raw += buf.length;
    br += size;
    console.log(('  ' + file).padEnd(48) + kb(buf.length) + kb(size));
  }
  return [raw, br];
}

const [firstRaw, firstBr] = table('first visit, before the app runs', firstVisit);
console.log('total first visit'.padEnd(48) + kb(firstRaw) + kb(firstBr));
console.log(`budget ${kb(BUDGET).trim()} brotli: ${firstBr <= BUDGET ? 'within budget' : 'OVER BUDGET'}`);
console.log('');
const [laterRaw, laterBr] = table('chunks, fetched once the app runs', later);
console.log('total chunks'.padEnd(48) + kb(laterRaw) + kb(laterBr));

// What the service worker stores for offline use (its precache list), for the record.
const sw = join(dist, 'sw.js');
if (existsSync(sw)) {
  const listed = [...readFileSync(sw, 'utf8').matchAll(/"url":\s*"\/([^"]+)"/g)].map((m) => m[1]);
  let br = 0;
  for (const file of listed) if (existsSync(join(dist, file))) br += brotli(readFileSync(join(dist, file)));
  console.log(`service worker precache: ${listed.length} files, ${kb(br).trim()} brotli`);
}
const missing = readdirSync(dist).filter((f) => f.endsWith('.wasm') && !firstVisit.has(f) && !later.has(f));
if (missing.length) console.log(`not reachable from index.html: ${missing.join(', ')}`);
