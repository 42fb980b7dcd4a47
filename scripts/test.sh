#!/usr/bin/env bash
# Run the whole test suite the way CI does: system packages, a venv, then pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh --system
.venv/bin/ruff check kit tests
exec .venv/bin/python -m pytest "$@"
