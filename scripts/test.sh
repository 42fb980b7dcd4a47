#!/usr/bin/env bash
# Run the whole test suite the way CI does: system packages, a venv, then pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh --system
.venv/bin/ruff check kit tests
# One worker a CPU; --dist loadscope keeps each module's tests (and its module-scoped fixtures, such as
# a team fetched once) on one worker. CODEX_KIT_TEST_WORKERS=0 runs everything in this process.
exec .venv/bin/python -m pytest -n "${CODEX_KIT_TEST_WORKERS:-auto}" --dist loadscope "$@"
