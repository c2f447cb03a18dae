#!/usr/bin/env bash
# A national campaign, simulated: 2 215 real communes of 2 500–4 999 inhabitants × 3 phones
# enrolled through the API, answering and syncing over a month compressed into a few minutes,
# against the real release server (a child process on the loopback), on SQLite and PostgreSQL.
# Prints pushes/s, pulls/s, operations/s, p50/p95/p99 push and pull latency, the server's peak
# memory and the database's size; exits non-zero if any phone ends without its town's whole log.
#   scripts/bench-campaign.sh [--backend sqlite|postgres|both] [--towns N] [--minutes M]
#                             [--runs N] [--in-flight N]
# PostgreSQL: the database of AROBASE_TEST_POSTGRES_URL (`make postgres`), in a schema of its own
# that the run drops at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

data=$(commune_data)
say "cargo build --release -p server --bin arobase-server --example bench_campaign"
cargo build --release -q -p server --bin arobase-server --example bench_campaign
target="${CARGO_TARGET_DIR:-target}"
# The SQLite databases live under target/, on the project's disk (not a tmpfs).
"$target/release/examples/bench_campaign" \
  --server "$target/release/arobase-server" --communes "$data" --dir "$target/bench-campaign" "$@"
