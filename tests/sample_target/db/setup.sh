#!/usr/bin/env bash
# Create the schema and, unless SKIP_POLICY_SEED=1, seed one ACTIVE policy.
# Connection settings come from the usual libpq variables (PGHOST, PGPORT, PGUSER, PGDATABASE).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
psql -v ON_ERROR_STOP=1 -q -f "$here/schema.sql"
if [ "${SKIP_POLICY_SEED:-0}" != "1" ]; then
  psql -v ON_ERROR_STOP=1 -q -f "$here/seed.sql"
fi
