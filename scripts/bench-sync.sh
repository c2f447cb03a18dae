#!/usr/bin/env bash
# Sync figures on this machine: a 60-operation push's round trip, sustained pushes per second with
# concurrent phones on SQLite, and the raw SQLite commit rate (WAL, synchronous=FULL) measured on
# the same disk in the same run for scale. Figures to quote, never asserted.
#   scripts/bench-sync.sh [--seconds N]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

say "cargo build --release -p server --example bench_sync"
cargo build --release -q -p server --example bench_sync
# The temporary databases live under target/, on the project's disk (not a tmpfs).
"${CARGO_TARGET_DIR:-target}/release/examples/bench_sync" --dir "${CARGO_TARGET_DIR:-target}/bench-sync" "$@"
