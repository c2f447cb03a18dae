// Icons and install-sheet screenshots, generated from the one source assets/icon.svg.
//
//   node scripts/icons.mjs                 icons: public/favicon.svg and public/icons/*.png
//   node scripts/icons.mjs --screenshots   also the manifest screenshots, taken from the built
//                                          app (run `make build` first): the release server is
//                                          started on a free local port, Debian's Chromium
//                                          (Playwright) photographs real screens.
//
// The outputs are committed, so a build never needs this script; run it again after changing
// assets/icon.svg (icons) or the look of the home and question screens (screenshots).
// Rendering uses @resvg/resvg-js (a prebuilt binary from npm, no network). The glyph is drawn with
// strokes, never text, so the PNGs are identical on every machine.
import { readFileSync, writeFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { Resvg } from '@resvg/resvg-js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = readFileSync(join(root, 'assets/icon.svg'), 'utf8');
const iconsDir = join(root, 'public/icons');
mkdirSync(iconsDir, { recursive: true });

const colour = /id="background"[^>]*fill="([^"]+)"/.exec(source)?.[1];
const glyph = /<g id="glyph"[\s\S]*?<\/g>/.exec(source)?.[0];
if (!colour || !glyph) throw new Error('assets/icon.svg needs <rect id="background" fill=…> and <g id="glyph">');

/** An icon on the 512 canvas: background with corner radius `rx`, glyph scaled about the centre. */
function compose({ rx, scale = 1 }) {
  const g = scale === 1 ? glyph : `<g transform="translate(256 256) scale(${scale}) translate(-256 -256)">${glyph}</g>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 512 512"><rect width="512" height="512" rx="${rx}" fill="${colour}"/>${g}</svg>`;
}

const png = (svg, size) => new Resvg(svg, { fitTo: { mode: 'width', value: size } }).render().asPng();

// purpose "any": the rounded tile, transparent corners.
const any = compose({ rx: 112 });
// purpose "maskable": full bleed, and the glyph (radius 162 of 256) shrunk to 0.9 so it stays well
// inside the safe zone, the centred circle of radius 40 % that every platform mask keeps.
const maskable = compose({ rx: 0, scale: 0.9 });
// iOS rounds the corners itself and shows transparency as black: full bleed, opaque.
const apple = compose({ rx: 0 });

const outputs = [
  ['icon-192.png', any, 192],
  ['icon-512.png', any, 512],
  ['icon-maskable-512.png', maskable, 512],
  ['apple-touch-icon-180.png', apple, 180],
];
for (const [name, svg, size] of outputs) {
  const bytes = png(svg, size);
  writeFileSync(join(iconsDir, name), bytes);
  console.log(`public/icons/${name}  ${size}x${size}  ${bytes.length} bytes`);
}
// The favicon stays vector: the same tile, minified.
writeFileSync(join(root, 'public/favicon.svg'), any.replace('<svg ', '<svg role="img" aria-label="Arobase" ') + '\n');
console.log('public/favicon.svg');

if (process.argv.includes('--screenshots')) await screenshots();

async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

async function screenshots() {
  const { chromium } = await import('@playwright/test');
  // The same flags as playwright.config.ts (a .ts file node cannot import as is).
  const chromiumArgs = ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'];
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const data = mkdtempSync(join(tmpdir(), 'arobase-shots-'));
  const server = spawn(join(root, 'target/release/arobase-server'), [
    '--listen', `127.0.0.1:${port}`, '--database-url', `sqlite://${data}/shots.sqlite`, '--dist', join(root, 'dist'),
  ], { stdio: 'inherit' });
  try {
    for (let i = 0; i < 100; i++) {
      try { if ((await fetch(`${base}/api/health`)).ok) break; } catch { /* not up yet */ }
      await new Promise((r) => setTimeout(r, 100));
    }
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: chromiumArgs });
    // 360×640 CSS px at 3× = 1080×1920 (narrow, the phone install sheet); 1280×720 at 1.5× = 1920×1080 (wide).
    const shots = [
      { name: 'screenshot-narrow-accueil.png', path: '/', viewport: { width: 360, height: 640 }, scale: 3, mobile: true },
      { name: 'screenshot-narrow-question.png', path: '/questionnaire/securite/secu-sauvegardes', viewport: { width: 360, height: 640 }, scale: 3, mobile: true },
      { name: 'screenshot-wide-accueil.png', path: '/', viewport: { width: 1280, height: 720 }, scale: 1.5, mobile: false },
    ];
    for (const shot of shots) {
      const context = await browser.newContext({
        viewport: shot.viewport, deviceScaleFactor: shot.scale, isMobile: shot.mobile, hasTouch: shot.mobile,
        locale: 'fr-FR', serviceWorkers: 'block', colorScheme: 'light', reducedMotion: 'reduce',
      });
      // No install banner in a picture of the install sheet.
      await context.addInitScript(() => localStorage.setItem('arobase.pwa.install-banner-dismissed', '1'));
      const page = await context.newPage();
      await page.goto(base + shot.path);
      // The app has taken over from the served static shell when its navigation shows.
      await page.getByRole('navigation', { name: 'Navigation principale' }).waitFor();
      await page.getByRole('heading', { level: 1 }).waitFor();
      await page.evaluate(() => document.activeElement instanceof HTMLElement && document.activeElement.blur());
      const file = join(iconsDir, shot.name);
      await page.screenshot({ path: file });
      console.log(`public/icons/${shot.name}  ${shot.viewport.width * shot.scale}x${shot.viewport.height * shot.scale}`);
      await context.close();
    }
    await browser.close();
  } finally {
    server.kill();
  }
}
