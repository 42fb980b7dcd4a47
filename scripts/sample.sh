#!/usr/bin/env bash
# The main job on the shipped sample: harden the sample target repository (a copy of it) and show
# what changed, then lint the result with actionlint.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp -r tests/sample_target "$work/repo"
.venv/bin/codex-kit patch --diff "$work/repo"
.venv/bin/codex-kit patch "$work/repo"
.venv/bin/actionlint "$work/repo/.github/workflows/"*.yml && echo "actionlint: the hardened workflow is clean"
