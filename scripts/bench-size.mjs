// Size benchmark: the brotli size of every file a first visit downloads, and the total against the
// 150 KB budget. A first visit fetches index.html and what it references (script, wasm preload,
// stylesheet, icon, manifest); the list is read from the built index.html, not hard-coded, so a
// new asset cannot slip past the count. Usage: node scripts/bench-size.mjs [dist]
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants } from 'node:zlib';

const BUDGET = 150 * 1024;
const dist = process.argv[2] ?? 'dist';
const html = readFileSync(join(dist, 'index.html'), 'utf8');

const files = new Set(['index.html']);
for (const [, url] of html.matchAll(/(?:href|src)="([^"]+)"/g)) {
  if (/^[a-z]+:/i.test(url) || url.startsWith('//')) continue; // never happens: no third-party assets
  const path = url.replace(/^\//, '').split(/[?#]/)[0];
  if (path && existsSync(join(dist, path))) files.add(path);
}
// Modules imported by the inline loader script (Trunk's `import init from '/x.js'`).
for (const [, url] of html.matchAll(/from\s+'([^']+)'/g)) files.add(url.replace(/^\//, ''));

const brotli = (buf) =>
  brotliCompressSync(buf, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: buf.length } }).length;

let totalRaw = 0;
let totalBr = 0;
const kb = (n) => (n / 1024).toFixed(1).padStart(8) + ' KB';
console.log('file'.padEnd(48) + '      raw'.padStart(11) + '   brotli'.padStart(11));
for (const file of [...files].sort()) {
  const buf = readFileSync(join(dist, file));
  const br = brotli(buf);
  totalRaw += buf.length;
  totalBr += br;
  console.log(file.padEnd(48) + kb(buf.length) + kb(br));
}
console.log('total first visit'.padEnd(48) + kb(totalRaw) + kb(totalBr));
console.log(`budget ${kb(BUDGET).trim()} brotli: ${totalBr <= BUDGET ? 'within budget' : 'OVER BUDGET'}`);
