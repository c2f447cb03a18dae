#!/usr/bin/env bash
# The network at national scale, on SQLite and on PostgreSQL: 2 215 real communes of 2 500–4 999
# inhabitants, 3 yearly campaigns, 60 % released, seeded through the API; then the publication
# pass, one town's comparison (p50/p95 over 600 towns), the operators' dashboard and the CSVs,
# through real HTTP against the real server. Figures to quote, never asserted.
#   scripts/bench-network.sh [--backend sqlite|postgres|both] [--requests N] [--runs N]
# PostgreSQL: the database of AROBASE_TEST_POSTGRES_URL (`make postgres`), in a schema of its own
# that the run drops at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

data=$(commune_data)
say "cargo build --release -p server --example bench_network"
cargo build --release -q -p server --example bench_network
# The SQLite databases live under target/, on the project's disk (not a tmpfs).
"${CARGO_TARGET_DIR:-target}/release/examples/bench_network" \
  --communes "$data" --dir "${CARGO_TARGET_DIR:-target}/bench-network" "$@"
