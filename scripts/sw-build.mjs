// Builds the service worker into a Trunk build: sw/sw.js bundled by esbuild (one file, no import),
// then Workbox's injectManifest writes the precache list of every file of that build into it.
//
//   Trunk post_build hook (Trunk.toml): node scripts/sw-build.mjs
//     reads TRUNK_STAGING_DIR; only for TRUNK_PROFILE=release. A debug build (`trunk serve`) gets
//     no sw.js at all, and the debug app unregisters any worker left from an earlier release build.
//   By hand, for any built directory: node scripts/sw-build.mjs --dir dist
//     (the update test uses it to rebuild the list of a modified copy of the build).
import { createHash } from 'node:crypto';
import { rmSync, mkdtempSync, readFileSync } from 'node:fs';
import { join, dirname, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dirFlag = process.argv.indexOf('--dir');
const dir = dirFlag >= 0 ? resolve(process.argv[dirFlag + 1]) : process.env.TRUNK_STAGING_DIR;
if (!dir) {
  console.error('sw-build: no TRUNK_STAGING_DIR and no --dir DIR');
  process.exit(2);
}
if (dirFlag < 0 && process.env.TRUNK_PROFILE !== 'release') {
  rmSync(join(dir, 'sw.js'), { force: true });
  console.log(`sw-build: ${process.env.TRUNK_PROFILE ?? 'unknown'} profile, no service worker`);
  process.exit(0);
}

// Loaded only for release builds: Workbox takes a moment to import.
const { getManifest, injectManifest } = await import('workbox-build');
const esbuild = await import('esbuild');

const manifestOptions = {
  globDirectory: dir,
  // Everything the app needs to run offline; wasm-bindgen snippets included.
  globPatterns: ['**/*.{html,js,mjs,wasm,css,svg,png,webmanifest,json,ico,woff2,txt}'],
  // The worker itself, the install-sheet screenshots (only the browser's install UI shows them),
  // and the association's console chunk: operators only, so a town's phone never downloads it
  // (the server still serves it, and rule 3 of sw.js caches it once an operator opens it); the
  // console's map of France too (scripts/map-build.mjs), fetched from the network when it opens.
  globIgnores: ['sw.js', 'icons/screenshot-*', 'split_association-*', 'maps/**'],
  // Absolute URLs, as the app requests them.
  modifyURLPrefix: { '': '/' },
  // Hashed names change with their content (Trunk's hash is 16 hex digits, fewer when it starts
  // with zeros): no revision, so install takes them from the HTTP
  // cache that the first visit just filled (served immutable) instead of downloading them twice.
  dontCacheBustURLsMatching: /-[0-9a-f]{12,16}(?:_bg)?\.[a-z0-9]+$/,
  // The wasm grows with the questionnaire; a file over the limit would silently be left out.
  maximumFileSizeToCacheInBytes: 20 * 1024 * 1024,
};

const { manifestEntries, warnings } = await getManifest(manifestOptions);
if (warnings.length) {
  console.error(`sw-build: ${warnings.join('\n')}`);
  process.exit(1);
}
if (!manifestEntries.some((e) => e.url === '/index.html')) {
  console.error(`sw-build: ${dir} has no index.html`);
  process.exit(1);
}
const listing = manifestEntries.map((e) => `${e.url} ${e.revision ?? ''}`).sort().join('\n');
const buildId = createHash('sha256').update(listing).digest('hex').slice(0, 12);

const work = mkdtempSync(join(tmpdir(), 'arobase-sw-'));
try {
  const bundled = join(work, 'sw.js');
  await esbuild.build({
    entryPoints: [join(root, 'sw/sw.js')],
    outfile: bundled,
    bundle: true,
    format: 'iife',
    minify: true,
    target: 'es2020',
    legalComments: 'none',
    // Workbox keeps its development logging behind this test.
    define: { 'process.env.NODE_ENV': '"production"', __BUILD_ID__: JSON.stringify(buildId) },
    logLevel: 'warning',
  });
  const { count, size, warnings: injectWarnings } = await injectManifest({
    ...manifestOptions,
    swSrc: bundled,
    swDest: join(dir, 'sw.js'),
  });
  if (injectWarnings.length) {
    console.error(`sw-build: ${injectWarnings.join('\n')}`);
    process.exit(1);
  }
  const sw = readFileSync(join(dir, 'sw.js'), 'utf8');
  if (/importScripts|\bimport\s*\(|^\s*import\s/m.test(sw)) {
    console.error('sw-build: the generated sw.js imports code; it must be self-contained');
    process.exit(1);
  }
  console.log(`sw-build: sw.js (${(sw.length / 1024).toFixed(1)} KB), version ${buildId}, ${count} files precached (${(size / 1024).toFixed(0)} KB)`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
