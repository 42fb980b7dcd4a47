"""Many repositories in one fetch: an organisation's Codex repositories found through the API, each
fetched into its own cache folder, one repository's 403 said on its line while the others go on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kit.cli import main
from kit.history.cache import HistoryCache, cache_folder, cached_repos
from kit.history.discover import uses_codex
from kit.history.team import read_repos_file
from kit.history.teamrecord import RECORD_NAME
from tests.support.fake_github import FakeGitHub
from tests.support.team import FORBIDDEN, HISTORIES, NO_CODEX, ORG, RUNS, build_org


def _fetch(fake: FakeGitHub, cache: Path, *extra: str) -> int:
    return main(["fetch", *extra, "--cache", str(cache), "--api-url", fake.url])


def test_an_org_is_discovered_and_fetched_and_the_403_one_is_said_on_its_line(tmp_path: Path, capsys) -> None:
    cache = tmp_path / "cache"
    with FakeGitHub("org/alpha") as fake:
        build_org(fake)
        code = _fetch(fake, cache, "--org", ORG)
        out, err = capsys.readouterr()
    assert code == 1  # one repository failed: a finding, the others fetched
    lines = out.splitlines()
    assert [line.split(":")[0] for line in lines[:-1]] == ["org/alpha", "org/bravo", FORBIDDEN, "org/delta", "org/echo"]
    assert f"{FORBIDDEN}: failed: the workflows of {FORBIDDEN}: forbidden (403)" in out
    assert f"{NO_CODEX}: skipped: no workflow uses openai/codex-action" in out
    assert lines[-1].startswith("team fetch: 3 of 5 repositories fetched, 1 without a Codex workflow, 1 failed")
    assert f"({FORBIDDEN})" in lines[-1]
    assert "discovery: 1 request per 100 repositories of org" in err  # the cost, said before it is spent
    assert cached_repos(cache) == sorted(HISTORIES)  # nothing for the 403, the non-Codex or the archived one
    for repo in HISTORIES:
        history = HistoryCache(cache_folder(cache, repo)).load()
        assert len(history.runs) == RUNS and set(history.runs["workflow"]) == {"invariants.yml"}
    record = json.loads((cache / RECORD_NAME).read_text())
    assert record["repos"][FORBIDDEN]["status"] == 403 and record["repos"][FORBIDDEN]["outcome"] == "failed"
    assert record["repos"][NO_CODEX]["outcome"] == "no-codex"
    assert record["orgs"][ORG] == ["org/alpha", "org/bravo", FORBIDDEN, "org/delta", "org/echo"]


def test_a_second_team_fetch_is_cheap(tmp_path: Path, capsys) -> None:
    cache = tmp_path / "cache"
    with FakeGitHub("org/alpha") as fake:
        build_org(fake)
        assert _fetch(fake, cache, "--org", ORG) == 1
        first = fake.counted()
        assert _fetch(fake, cache, "--org", ORG) == 1
        again = fake.counted() - first
        asked = [r.path for r in fake.requests[-40:]]
    capsys.readouterr()
    # Discovery and every history listing answer 304 (free); only the repository that answers 403 costs a request.
    assert first > 50 and again == 1, (first, again, asked)


def test_a_repos_file_with_comments_names_the_team(tmp_path: Path, capsys) -> None:
    listing = tmp_path / "team.txt"
    listing.write_text("# the team's repositories\norg/alpha\n\n  org/echo   # hardened in June\n#org/delta\n")
    assert read_repos_file(listing) == ["org/alpha", "org/echo"]
    cache = tmp_path / "cache"
    with FakeGitHub("org/alpha") as fake:
        build_org(fake)
        code = _fetch(fake, cache, "--repos-file", str(listing), "--workflow", "invariants.yml")
        paths = [r.path for r in fake.requests]
    out = capsys.readouterr().out
    assert code == 0 and "team fetch: 2 of 2 repositories fetched" in out
    assert cached_repos(cache) == ["org/alpha", "org/echo"]
    assert not [p for p in paths if p.endswith("/actions/workflows") or "/contents/" in p]  # --workflow: no discovery


def test_a_bad_line_in_the_repos_file_is_named(tmp_path: Path, capsys) -> None:
    listing = tmp_path / "team.txt"
    listing.write_text("org/alpha\norg/../etc\n")
    assert main(["fetch", "--repos-file", str(listing), "--cache", str(tmp_path / "c")]) == 2
    assert f"--repos-file {listing} line 2: --repo must be OWNER/REPO" in capsys.readouterr().err


def test_the_budget_is_shared_and_the_rest_is_fetched_on_the_next_run(tmp_path: Path, capsys) -> None:
    cache = tmp_path / "cache"
    team = ["--repo", "org/alpha", "--repo", "org/delta", "--repo", "org/echo", "--workflow", "invariants.yml"]
    with FakeGitHub("org/alpha") as fake:
        build_org(fake)
        assert _fetch(fake, cache, *team, "--budget", "30") == 1
        spent = fake.counted()
        out = capsys.readouterr().out
        assert spent <= 30  # one budget for the team, not 30 for each repository
        assert "org/alpha: fetched" in out
        assert "org/delta: failed: invariants.yml: " in out and "stopped within --budget" in out
        assert "org/echo: not-fetched: not fetched: the team fetch stopped at org/delta" in out
        assert _fetch(fake, cache, *team) == 0
    assert "team fetch: 3 of 3 repositories fetched" in capsys.readouterr().out
    for repo in HISTORIES:
        assert len(HistoryCache(cache_folder(cache, repo)).load().runs) == RUNS


def test_estimate_prints_discovery_and_fetch_costs_and_writes_no_history(tmp_path: Path, capsys) -> None:
    cache = tmp_path / "cache"
    with FakeGitHub("org/alpha") as fake:
        build_org(fake)
        assert _fetch(fake, cache, "--org", ORG, "--estimate") == 0
    out = capsys.readouterr().out
    assert out.startswith("discovery: ") and "for 5 repositories" in out
    assert f"org/alpha invariants.yml: estimate: {RUNS} runs on GitHub, 0 cached" in out
    assert f"{FORBIDDEN}: the workflows of {FORBIDDEN}: forbidden (403)" in out
    assert "total: about " in out
    assert cached_repos(cache) == []


@pytest.mark.parametrize(
    ("text", "uses"),
    [
        ("      - uses: openai/codex-action@v1\n", True),
        ('    - name: x\n      uses: "openai/codex-action@0123abc"\n', True),
        ("      - uses: OpenAI/Codex-Action@main\n", True),
        ("      # uses: openai/codex-action@v1 (someday)\n", False),
        ("      - uses: openai/codex-action-fork@v1\n", False),
        ("      - run: echo openai/codex-action@v1\n", False),
    ],
)
def test_a_workflow_uses_codex_only_through_a_uses_step(text: str, uses: bool) -> None:
    assert uses_codex(text) is uses


def test_an_unknown_organisation_is_one_line_and_leaves_nothing(tmp_path: Path, capsys) -> None:
    cache = tmp_path / "cache"
    with FakeGitHub("org/alpha") as fake:
        build_org(fake)
        assert _fetch(fake, cache, "--org", "nobody") == 2
    err = capsys.readouterr().err.splitlines()
    assert err[-1].startswith("codex-kit: the repositories of nobody page 1: not found (404)")
    assert "check the organisation's name" in err[-1] and not cache.exists()
