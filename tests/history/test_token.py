"""The token is read from the environment, checked once, and never shown, even when it is malformed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kit.errors import UsageError
from kit.history.client import GitHubClient
from kit.history.token import scrub
from tests.support.fake_github import FakeGitHub
from tests.support.history_builder import REPO, populate

ROOT = Path(__file__).resolve().parents[2]
MALFORMED = ["ghp_abc\ndef0123456789", "ghp_abc def0123456789", "ghp_abc\x07def0123456789", "ghp_abc\rdef0123456789"]


@pytest.mark.parametrize("bad", MALFORMED, ids=["newline", "space", "bell", "carriage-return"])
def test_a_malformed_token_is_refused_before_any_request_without_being_shown(bad: str, tmp_path: Path) -> None:
    env = {**os.environ, "GITHUB_TOKEN": bad, "PYTHONPATH": str(ROOT)}
    with FakeGitHub(REPO) as fake:
        populate(fake, 3)
        done = subprocess.run(
            [sys.executable, "-m", "kit.cli", "fetch", "--repo", REPO, "--cache", "c", "--api-url", fake.url],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert fake.requests == [], "not one request (so no retry) is sent with a malformed token"
    assert done.returncode == 2 and "GITHUB_TOKEN holds characters a GitHub token cannot have" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    for part in bad.replace("\x07", " ").replace("\r", " ").split():
        assert part not in done.stderr + done.stdout
    assert not (tmp_path / "c").exists()


@pytest.mark.parametrize("bad", MALFORMED, ids=["newline", "space", "bell", "carriage-return"])
def test_the_library_checks_a_token_passed_to_it_too(bad: str) -> None:
    """A notebook may build the client itself: the check is in the client, before its first request."""
    with FakeGitHub(REPO) as fake:
        with pytest.raises(UsageError, match="the token holds characters a GitHub token cannot have") as caught:
            GitHubClient(REPO, api_url=fake.url, token=bad)
        assert fake.requests == []
    assert all(part not in str(caught.value) for part in bad.replace("\x07", " ").replace("\r", " ").split())


def test_scrub_replaces_the_token_wherever_it_appears(monkeypatch) -> None:
    monkeypatch.setenv("GH_TOKEN", "ghs_secretvalue123")
    assert scrub("GET failed: Authorization: token ghs_secretvalue123 (ghs_secretvalue123)") == (
        "GET failed: Authorization: token *** (***)"
    )
