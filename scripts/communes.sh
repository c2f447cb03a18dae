#!/usr/bin/env bash
# Loads (or refreshes) the official commune list into the database named by DATABASE_URL (default
# sqlite://data/arobase.sqlite). The data comes from the npm package @etalab/decoupage-administratif,
# a devDependency installed by `npm ci`. The server also imports it by itself at start when its
# database has no commune yet, so `make run` needs no extra step; this is for refreshing the list
# after a package update, or for a PostgreSQL database prepared ahead.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

data=$(commune_data)
say "cargo build --release -p server"
cargo build --release -q -p server
say "arobase-server import-communes"
"${CARGO_TARGET_DIR:-target}/release/arobase-server" --communes "$data" import-communes
