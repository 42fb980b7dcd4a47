#!/usr/bin/env bash
# Make .venv with codex-kit and its test tools, and (as root, with --system) the Debian packages
# the tests drive for real: PostgreSQL with pgTAP, shellcheck for actionlint, Chromium for the report.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" = "--system" ] && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  need=()
  for pkg in postgresql postgresql-15-pgtap shellcheck chromium; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
  done
  if [ "${#need[@]}" -gt 0 ]; then
    echo "bootstrap: installing ${need[*]}"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  fi
fi

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
.venv/bin/python -m pip install -q -e ".[test]" 2>&1 | grep -v -i "warning" || true
.venv/bin/python -c "import kit" || { echo "bootstrap: codex-kit did not install" >&2; exit 1; }
