#!/usr/bin/env bash
# Installs what building and running Arobase needs, skipping what is already there:
# the wasm32 target, trunk, wasm-bindgen-cli (same version as Cargo.lock) and the npm tools
# (binaryen's wasm-opt, Playwright). Only the package registries are used.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

TRUNK_VERSION=0.21.14

# The tools are built for this machine only and run for seconds: their release profiles' link-time
# optimisation (trunk: fat LTO, one codegen unit) would cost CI minutes of a single core for
# nothing we can measure. Trunk is built without TLS: it never downloads anything here (every tool
# it could fetch is installed below, at the version it is told to use).
quick_install() {
  CARGO_PROFILE_RELEASE_LTO=off CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 cargo install "$@"
}

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

# The three tools build side by side: each build ends in long single-crate stretches that leave a
# core idle. A failed one fails the script (its exit status comes back through `wait`).
background=()
[ -f Cargo.lock ] || cargo generate-lockfile
bindgen_version=$(locked_wasm_bindgen_version)
if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $bindgen_version" ]; then
  # No --locked: the CLI's own lock file names a crate version that the registry no longer has.
  say "cargo install wasm-bindgen-cli $bindgen_version (about 4 minutes)"
  quick_install wasm-bindgen-cli --version "=$bindgen_version" &
  background+=($!)
fi

# Splits the release wasm into lazily loaded chunks; scripts/build-wasm.mjs reads this version
# from here and refuses any other.
WASM_SPLIT_VERSION=0.2.4
if ! cargo install --list | grep -qx "wasm_split_cli_support v$WASM_SPLIT_VERSION:"; then
  say "cargo install wasm_split_cli_support $WASM_SPLIT_VERSION (about 2 minutes)"
  quick_install wasm_split_cli_support --version "=$WASM_SPLIT_VERSION" --features build-binary --locked &
  background+=($!)
fi

if [ "$(trunk --version 2>/dev/null)" != "trunk $TRUNK_VERSION" ]; then
  say "cargo install trunk $TRUNK_VERSION (about 6 minutes)"
  CARGO_PROFILE_RELEASE_OPT_LEVEL=1 quick_install trunk --version "$TRUNK_VERSION" --locked --no-default-features
fi
for pid in "${background[@]}"; do
  wait "$pid"
done

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "npm ci"
  npm ci --no-audit --no-fund
fi
