"""Run the real workflow linters (actionlint, zizmor, check-jsonschema) and return their findings.

Findings are compared as multisets of (file name, kind, message) so a test can assert that a patch
adds none to those the original file already had.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    found = shutil.which(name, path=str(BIN)) or shutil.which(name)
    if not found:
        raise RuntimeError(f"{name} is not installed; `pip install -e .[test]` brings it")
    return found


def actionlint(files: list[Path]) -> Counter:
    """actionlint findings (with shellcheck when it is on PATH), by file name, kind and message."""
    proc = subprocess.run(
        [tool("actionlint"), "-format", "{{json .}}", *map(str, files)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"actionlint failed ({proc.returncode}): {proc.stderr}")
    found = json.loads(proc.stdout or "[]")
    return Counter((Path(e["filepath"]).name, e["kind"], e["message"]) for e in found)


def zizmor(folder: Path) -> Counter:
    """zizmor findings (offline audits) by file name, audit id and severity."""
    proc = subprocess.run(
        [tool("zizmor"), "--offline", "--no-progress", "--format", "json", str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    if not proc.stdout.strip():
        raise RuntimeError(f"zizmor printed nothing ({proc.returncode}): {proc.stderr[-500:]}")
    found = json.loads(proc.stdout)
    counts: Counter = Counter()
    for finding in found:
        locations = finding["locations"]
        key = locations[0]["symbolic"]["key"]["Local"] if locations else {}
        name = Path(key.get("verbatim_path") or key.get("given_path") or "?").name
        counts[(name, finding["ident"], finding["determinations"]["severity"])] += 1
    return counts


def schema_failures(files: list[Path]) -> set[str]:
    """Names of the files check-jsonschema rejects against GitHub's workflow schema (offline)."""
    proc = subprocess.run(
        [tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", "-o", "json", *map(str, files)],
        capture_output=True,
        text=True,
        check=False,
    )
    report = json.loads(proc.stdout)
    failed = {Path(e["filename"]).name for e in report.get("errors", [])}
    failed |= {Path(e["filename"]).name for e in report.get("parse_errors", [])}
    return failed


def schema_ok(path: Path) -> bool:
    return not schema_failures([path])
