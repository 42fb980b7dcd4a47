#!/usr/bin/env bash
# Make .venv with codex-kit and its test tools, and (as root, with --system) the Debian packages
# the tests drive for real: PostgreSQL with the pgTAP of its own major version, shellcheck for
# actionlint, Chromium for the report. Quiet when all goes well; the whole install log when not.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_install() {
  local need=()
  for pkg in "$@"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
  done
  [ "${#need[@]}" -eq 0 ] && return 0
  echo "bootstrap: installing ${need[*]}"
  if [ -z "${APT_UPDATED:-}" ]; then
    apt-get update -qq >/dev/null
    APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
}

if [ "${1:-}" = "--system" ] && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  apt_install postgresql shellcheck chromium
  # pgTAP is packaged per PostgreSQL major version: take the one that matches the server installed.
  major=$(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null | sort -n | tail -n 1)
  if [ -n "$major" ]; then
    apt_install "postgresql-${major}-pgtap"
  fi
fi

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
.venv/bin/python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
if ! .venv/bin/python -m pip install -q -e ".[test]" >"$log" 2>&1; then
  cat "$log" >&2
  echo "bootstrap: installing codex-kit into .venv failed (the pip log is above)" >&2
  exit 1
fi
.venv/bin/python -c "import kit" || { echo "bootstrap: codex-kit did not install" >&2; exit 1; }
