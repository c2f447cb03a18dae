#!/usr/bin/env bash
# Installs what the tests need beyond the build: Debian's Chromium and ChromeDriver (never a
# downloaded browser: only Debian's build works on these machines).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

apt_install chromium chromium-driver

# PostgreSQL for the server's PostgreSQL test suite (scripts/postgres.sh starts it and makes the
# test role and database).
apt_install postgresql
