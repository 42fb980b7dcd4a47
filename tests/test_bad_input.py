"""Bad input a new user gives: each command exits 2 with one clear line, no traceback, nothing written."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("GITHUB_TOKEN", "GH_TOKEN")}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run([sys.executable, "-m", "kit.cli", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=120)  # fmt: skip


PINNED = "a/codex-kit@0123456789abcdef0123456789abcdef01234567"
CASES = {
    "report-out-is-a-file": (["report", "--out", "afile"], "is a file"),
    "report-cache-without-repo": (["report", "--cache", "."], "--cache needs --repo"),
    "report-min-runs-negative": (["report", "--min-runs", "-1", "--out", "o"], "--min-runs must be at least 1"),
    "report-share-as-percent": (["report", "--unknown-share", "5", "--out", "o"], "a fraction from 0 to 1"),
    "fetch-cache-is-a-file": (["fetch", "--repo", "a/b", "--cache", "afile", "--api-url", "http://127.0.0.1:9"],
                              "cannot write the history cache there"),
    "fetch-bad-repo": (["fetch", "--repo", "a/b/c", "--cache", "c"], "--repo must be OWNER/REPO"),
    "fetch-offline": (["fetch", "--repo", "a/b", "--cache", "c", "--api-url", "http://codex-kit-test.invalid"],
                      "its name does not resolve"),
    "fetch-bad-pattern": (["fetch", "--repo", "a/b", "--cache", "c", "--codex-step-pattern", "("],
                          "is not a valid regular expression"),
    "schedule-write-under-a-file": (["schedule", "--action", PINNED, "--write", "afile/x.yml"], "cannot write there"),
    "schedule-bad-cron": (["schedule", "--action", PINNED, "--cron", "notacron"], "is not a cron schedule"),
    "sample-out-is-a-file": (["sample", "--out", "afile"], "cannot write the history cache there"),
    "patch-missing-folder": (["patch", "missing"], "not a directory"),
    "usage": (["report", "--no-such-flag"], "unrecognized arguments"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(CASES))
def test_one_clear_line_and_exit_2(case: str, tmp_path: Path) -> None:
    args, message = CASES[case]
    (tmp_path / "afile").write_text("keep")
    done = run(*args, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr and "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if "GITHUB_TOKEN" not in line]
    assert len(lines) <= 4 if case == "usage" else len(lines) == 1, done.stderr
    assert (tmp_path / "afile").read_text() == "keep"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"], "nothing half-written"


def test_version(tmp_path: Path) -> None:
    done = run("--version", cwd=tmp_path)
    assert done.returncode == 0 and done.stdout.startswith("codex-kit 0.")
