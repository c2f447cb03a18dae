// Builds the app's WebAssembly into a Trunk build, split into lazily loaded chunks.
//
//   Trunk post_build hook (Trunk.toml), before the service worker hook; reads TRUNK_STAGING_DIR
//   and TRUNK_PROFILE. Trunk builds the page, styles and public files; this script the wasm.
//
// Why not Trunk's own `rel="rust"` pipeline: it runs wasm-bindgen straight after cargo, and the
// split has to happen in between. A first visit only needs the home page; the pages behind
// src/chunks.rs's split points (answering, results, settings, the town's space) and the sync
// exchange are fetched when first opened, and precached by the service worker for offline use.
//
// Release: cargo (--features split, linked with --emit-relocs so the splitter can follow every
// reference) → wasm-split-cli (main module + chunks + the __wasm_split.js loader) → wasm-bindgen
// on the main module (--keep-lld-exports: the chunks import those) → wasm-opt -Oz on every
// module → names carrying one hash of the whole output, so the server may cache them forever.
// Debug (`trunk serve`): one unsplit module, no wasm-opt.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const staging = process.env.TRUNK_STAGING_DIR;
if (!staging) {
  console.error('build-wasm: no TRUNK_STAGING_DIR (run through `trunk build`)');
  process.exit(2);
}
const release = process.env.TRUNK_PROFILE === 'release';
const NAME = 'arobase';
// The version scripts/setup.sh installs (one definition, there).
const WASM_SPLIT_VERSION = readFileSync(join(root, 'scripts', 'setup.sh'), 'utf8').match(/^WASM_SPLIT_VERSION=(\S+)$/m)[1];
const TARGET = 'wasm32-unknown-unknown';
// Its own target directory: --emit-relocs changes RUSTFLAGS, which would otherwise rebuild the
// wasm dependencies of every `cargo test`/`clippy` run and back.
const targetDir = join(root, 'target', release ? 'split' : 'trunk-debug');
const work = join(targetDir, 'wasm-out');

function run(cmd, args, env = {}) {
  console.log(`build-wasm: ${cmd} ${args.join(' ')}`);
  execFileSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
}

// wasm-split-cli has no --version; cargo knows what it installed.
const versionCommand = (cmd) => (cmd === 'wasm-split-cli' ? ['cargo', ['install', '--list']] : [cmd, ['--version']]);

/** Fails loudly when a tool on PATH is not the pinned version (a wrong wasm-opt gives a blank page). */
function requireVersion(cmd, expected) {
  let out = '';
  try {
    out = execFileSync(...versionCommand(cmd), { encoding: 'utf8' }).trim();
  } catch {
    // reported below
  }
  if (!out.includes(expected)) {
    console.error(`build-wasm: ${cmd} must be ${expected} (found: ${out || 'none'}); run scripts/setup.sh`);
    process.exit(1);
  }
}

const lockedBindgen = readFileSync(join(root, 'Cargo.lock'), 'utf8').match(
  /name = "wasm-bindgen"\nversion = "([^"]+)"/,
)[1];
requireVersion('wasm-bindgen', `wasm-bindgen ${lockedBindgen}`);

rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });

const cargoArgs = ['build', '--bin', NAME, '--target', TARGET, '--target-dir', targetDir];
if (release) {
  requireVersion('wasm-opt', 'version 132');
  requireVersion('wasm-split-cli', `wasm_split_cli_support v${WASM_SPLIT_VERSION}:`);
  const rustflags = [process.env.RUSTFLAGS, '-Clink-args=--emit-relocs'].filter(Boolean).join(' ');
  run('cargo', [...cargoArgs, '--profile', 'wasm-release', '--features', 'split'], { RUSTFLAGS: rustflags });
  run('wasm-split-cli', [join(targetDir, TARGET, 'wasm-release', `${NAME}.wasm`), work, '--out-name', NAME]);
  run('wasm-bindgen', [join(work, `${NAME}.wasm`), '--out-dir', work, '--target', 'web', '--keep-lld-exports', '--no-typescript']);
  rmSync(join(work, `${NAME}.wasm`));
  for (const file of readdirSync(work).filter((f) => f.endsWith('.wasm'))) {
    run('wasm-opt', ['-Oz', join(work, file), '-o', join(work, file)]);
  }
} else {
  run('cargo', cargoArgs);
  run('wasm-bindgen', [join(targetDir, TARGET, 'debug', `${NAME}.wasm`), '--out-dir', work, '--target', 'web', '--no-typescript']);
}

// One hash for the whole output: the loader and the main module import each other by name, so
// no file can carry a hash of its own content alone; any change renames them all.
const files = readdirSync(work, { recursive: true, withFileTypes: true })
  .filter((entry) => entry.isFile())
  .map((entry) => relative(work, join(entry.parentPath, entry.name)))
  .sort();
const hash = createHash('sha256');
for (const file of files) hash.update(file).update(readFileSync(join(work, file)));
const id = hash.digest('hex').slice(0, 16);

// Top-level files get the hash before their extension (`chunk_3-<id>.wasm`,
// `arobase-<id>_bg.wasm`); wasm-bindgen's snippets/ keep their names (the server revalidates them).
const renamed = new Map();
for (const file of files.filter((f) => !f.includes('/'))) {
  const bg = file.endsWith('_bg.wasm');
  const stem = file.replace(/(_bg)?\.[a-z]+$/, '');
  const ext = file.slice(file.lastIndexOf('.'));
  renamed.set(file, `${stem}-${id}${bg ? '_bg' : ''}${ext}`);
}
for (const [from, to] of renamed) {
  let bytes = readFileSync(join(work, from));
  if (from.endsWith('.js')) {
    let text = bytes.toString('utf8');
    // Only where a file is fetched or imported: the import object's keys name the wasm's own
    // import modules (`"./__wasm_split.js": import2`) and must stay as they are.
    for (const [name, hashed] of renamed) {
      text = text
        .replaceAll(`from "./${name}"`, `from "./${hashed}"`)
        .replaceAll(`new URL("./${name}"`, `new URL("./${hashed}"`);
    }
    bytes = Buffer.from(text);
  }
  writeFileSync(join(staging, to), bytes);
}
if (existsSync(join(work, 'snippets'))) cpSync(join(work, 'snippets'), join(staging, 'snippets'), { recursive: true });

const js = `/${renamed.get(`${NAME}.js`)}`;
const wasm = `/${renamed.get(`${NAME}_bg.wasm`)}`;
const indexPath = join(staging, 'index.html');
const html = readFileSync(indexPath, 'utf8')
  .replace(
    '</head>',
    `<link rel="modulepreload" href="${js}" crossorigin="anonymous">\n` +
      `<link rel="preload" href="${wasm}" crossorigin="anonymous" as="fetch" type="application/wasm">\n</head>`,
  )
  .replace(
    '</body>',
    `<script type="module">\nimport init from '${js}';\nawait init({ module_or_path: '${wasm}' });\n</script>\n</body>`,
  );
writeFileSync(indexPath, html);
console.log(`build-wasm: ${renamed.size} files, build ${id}`);
