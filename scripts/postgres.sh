#!/usr/bin/env bash
# Starts the local PostgreSQL server and creates the role and database the server's tests use, then
# prints their URL (the value of AROBASE_TEST_POSTGRES_URL). Idempotent: what exists is kept, a
# running server is left running. Each test makes its own schema in that database; schemas left by
# earlier runs are dropped here.
#
#   export AROBASE_TEST_POSTGRES_URL=$(scripts/postgres.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

ROLE=arobase_test
PASSWORD=arobase_test
DATABASE=arobase_test

# Progress goes to stderr: stdout carries only the URL.
say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

command -v pg_lsclusters >/dev/null 2>&1 || apt_install postgresql >&2
version=$(ls /usr/lib/postgresql | sort -V | tail -1)
[ -n "$version" ] || { echo "postgres.sh: no PostgreSQL server installed" >&2; exit 1; }

cluster() { pg_lsclusters --no-header | awk -v v="$version" '$1 == v && $2 == "main"'; }
if [ -z "$(cluster)" ]; then
  say "pg_createcluster $version main"
  as_root pg_createcluster "$version" main >&2
fi
if [ "$(cluster | awk '{print $4}')" != online ]; then
  say "pg_ctlcluster $version main start"
  as_root pg_ctlcluster "$version" main start >&2
fi
port=$(cluster | awk '{print $3}')
for _ in $(seq 60); do
  pg_isready -q -h 127.0.0.1 -p "$port" && break
  sleep 0.5
done
pg_isready -q -h 127.0.0.1 -p "$port" || { echo "postgres.sh: PostgreSQL $version does not answer on port $port" >&2; exit 1; }

as_postgres() { as_root su postgres -s /bin/sh -c "cd /tmp && psql -X -q -v ON_ERROR_STOP=1 -p $port $*"; }
as_postgres >&2 <<SQL
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$ROLE') THEN
    CREATE ROLE $ROLE LOGIN PASSWORD '$PASSWORD';
  END IF;
END \$\$;
SELECT 'CREATE DATABASE $DATABASE OWNER $ROLE'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$DATABASE') \gexec
SQL
# One transaction per schema (\gexec runs each row as its own statement): dropping hundreds of
# schemas in one transaction runs out of lock slots (`max_locks_per_transaction`).
as_postgres -d "$DATABASE" >&2 <<'SQL'
SET client_min_messages = warning;
SELECT format('DROP SCHEMA %I CASCADE', nspname) FROM pg_namespace
WHERE nspname LIKE 'arobase\_t\_%' \gexec
SQL
echo "postgres://$ROLE:$PASSWORD@127.0.0.1:$port/$DATABASE"
