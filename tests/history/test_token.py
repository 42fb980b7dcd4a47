"""The token is read from the environment, checked once, and never shown, even when it is malformed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kit.history.token import scrub

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("bad", ["ghp_abc\ndef0123456789", "ghp_abc def0123456789", "ghp_abc\x07def0123456789"])
def test_a_malformed_token_is_refused_without_being_shown(bad: str, tmp_path: Path) -> None:
    env = {**os.environ, "GITHUB_TOKEN": bad, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "kit.cli", "fetch", "--repo", "a/b", "--cache", "c", "--api-url", "http://127.0.0.1:9"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2 and "GITHUB_TOKEN holds characters a GitHub token cannot have" in done.stderr
    for part in bad.split():
        assert part.strip("\x07") not in done.stderr + done.stdout
    assert not (tmp_path / "c").exists()


def test_scrub_replaces_the_token_wherever_it_appears(monkeypatch) -> None:
    monkeypatch.setenv("GH_TOKEN", "ghs_secretvalue123")
    assert scrub("GET failed: Authorization: token ghs_secretvalue123 (ghs_secretvalue123)") == (
        "GET failed: Authorization: token *** (***)"
    )
