#!/usr/bin/env bash
# Prints the first-visit download size of the built app (see bench-size.mjs).
set -euo pipefail
cd "$(dirname "$0")/.."
node scripts/bench-size.mjs "${1:-dist}"
