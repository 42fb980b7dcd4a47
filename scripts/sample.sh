#!/usr/bin/env bash
# The main job on the shipped sample: the reliability report over data/sample (no token, no network).
# Writes report/reliability_report.html (the dashboard), report/summary.md and the executed notebook.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec .venv/bin/codex-kit report --out report "$@"
