"""`codex-kit fetch` against the fake GitHub server, through ghapi's ordinary HTTP client."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from kit.errors import CacheError
from kit.history.client import GitHubClient, GitHubError, RateLimited
from kit.history.fetch import Fetcher
from kit.history.schema import LogStatus
from tests.support.cache_files import repo_cache, state_folder, table_files, table_path
from tests.support.fake_github import FakeGitHub, Fault
from tests.support.history_builder import REPO, complete, populate, rerun
from tests.support.interrupt import Killed, kill_on_save

TOKEN = "codex-kit-test-token-fetch-0123456789abcdef"
WORKFLOW = "invariants.yml"


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def fetcher(fake: FakeGitHub, cache: Path, sleeps: Sleeps | None = None, **kwargs) -> Fetcher:
    client = GitHubClient(
        REPO,
        api_url=fake.url,
        token=TOKEN,
        sleep=sleeps if sleeps is not None else Sleeps(),
        timeout=kwargs.pop("timeout", 10.0),
        max_wait=kwargs.pop("max_wait", 900.0),
    )
    return Fetcher(client, repo_cache(cache), WORKFLOW, progress=False, **kwargs)


def tables(cache: Path) -> dict[str, bytes]:
    return table_files(cache)


@pytest.fixture
def fake():
    with FakeGitHub(REPO, token=TOKEN) as server:
        yield server


def test_first_fetch_cost_and_content(fake: FakeGitHub, tmp_path: Path) -> None:
    populate(fake, 250, hardened_after=1150)
    report = fetcher(fake, tmp_path).run()
    history = repo_cache(tmp_path).load()
    assert len(history.runs) == 250 and len(history.jobs) == 500
    needed = int(history.jobs["needs_log"].sum())
    annotated = int((history.jobs["log_status"] == LogStatus.ANNOTATED).sum())
    asked = int((history.jobs["hardened"] & (history.jobs["contract_conclusion"] == "success")).sum())
    # REST asks a hardened failure's annotations first (one small request); a log follows unless they decide
    bound = math.ceil(250 / 100) + 250 + asked + needed - annotated
    print(f"\nfirst fetch: {fake.counted()} counted requests for 250 runs; bound {bound} (+ constant)")
    assert fake.counted() <= bound + 2
    assert annotated > 0 and report.logs_annotated == annotated
    assert report.logs_fetched == needed - annotated == len(fake.logs) - annotated
    assert history.runs["is_fork_pr"].sum() > 0
    forks = history.runs[history.runs["is_fork_pr"]]
    assert set(
        history.jobs[history.jobs["run_id"].isin(forks["run_id"]) & history.jobs["has_codex"]]["conclusion"]
    ) <= {"skipped"}
    assert not history.log_lines.empty and history.log_lines["text"].str.contains("Failed to read server info").any()
    hardened = history.jobs[history.jobs["hardened"]]
    assert set(hardened["contract_conclusion"]) == {"success", "skipped"}
    assert hardened[hardened["contract_conclusion"] == "success"]["needs_log"].all()


def test_immediate_refetch_costs_nothing(fake: FakeGitHub, tmp_path: Path) -> None:
    populate(fake, 250)
    fetcher(fake, tmp_path).run()
    before = tables(tmp_path)
    start = len(fake.requests)
    fetcher(fake, tmp_path).run()
    again = fake.requests[start:]
    print(f"\nrefetch: {len(again)} requests, {sum(r.counted for r in again)} counted")
    assert sum(r.counted for r in again) == 0 and len(again) <= 2
    assert tables(tmp_path) == before


def test_refetch_after_new_runs_asks_only_for_them(fake: FakeGitHub, tmp_path: Path) -> None:
    populate(fake, 250)
    fetcher(fake, tmp_path).run()
    populate(fake, 50, seed=2, first_id=1250)
    start = len(fake.requests)
    report = fetcher(fake, tmp_path).run()
    counted = sum(r.counted for r in fake.requests[start:])
    new_logs = report.logs_fetched
    print(f"\nrefresh after 50 new runs: {counted} counted requests ({new_logs} logs)")
    assert report.runs_new == 50 and report.jobs_fetched_for == 50
    assert counted <= 2 + 50 + new_logs
    assert len(repo_cache(tmp_path).load().runs) == 300


def test_in_progress_runs_are_revisited_and_reruns_refetched(fake: FakeGitHub, tmp_path: Path) -> None:
    populate(fake, 120)
    (running,) = populate(fake, 1, first_id=1120, status="in_progress")
    fetcher(fake, tmp_path).run()
    history = repo_cache(tmp_path).load()
    assert history.runs.set_index("run_id").loc[running, "jobs_attempt"] == 0
    complete(fake, running)
    failed = next(r for r, jobs in fake.jobs.items() if any(j["conclusion"] == "failure" for j in jobs))
    rerun(fake, failed)
    report = fetcher(fake, tmp_path).run()
    assert report.jobs_fetched_for == 2
    history = repo_cache(tmp_path).load()
    runs = history.runs.set_index("run_id")
    assert runs.loc[running, "status"] == "completed" and runs.loc[running, "jobs_attempt"] == 1
    assert runs.loc[failed, "run_attempt"] == 2
    assert sorted(history.jobs[history.jobs["run_id"] == failed]["run_attempt"]) == [1, 1, 2, 2]


def test_killed_fetch_resumes_to_the_same_tables(fake: FakeGitHub, tmp_path: Path) -> None:
    populate(fake, 460, hardened_after=1100)
    whole = tmp_path / "whole"
    fetcher(fake, whole).run()
    broken = tmp_path / "broken"
    with pytest.raises(Killed):
        fetcher(fake, broken, on_save=kill_on_save(2)).run()
    partial = repo_cache(broken).load()
    assert 0 < (partial.runs["jobs_attempt"] > 0).sum() < 460
    fetcher(fake, broken).run()
    assert tables(broken) == tables(whole)
    assert sorted(p.name for p in (state_folder(broken) / "logs").iterdir()) == sorted(
        p.name for p in (state_folder(whole) / "logs").iterdir()
    )


@pytest.mark.parametrize(
    "fault",
    [
        Fault(r"/runs$", 500),
        Fault(r"/runs$", 502, times=2),
        Fault(r"/jobs$", 503),
        Fault(r"/runs$", kind="stall"),
        Fault(r"/runs$", kind="truncate"),
        Fault(
            r"/jobs$", 429, headers={"Retry-After": "7"}, body={"message": "You have exceeded a secondary rate limit."}
        ),
        Fault(r"/jobs$", 403, body={"message": "You have exceeded a secondary rate limit. Please wait."}),
    ],
    ids=["500", "502x2", "503-jobs", "timeout", "truncated", "429-retry-after", "403-secondary"],
)
def test_recoverable_faults_are_retried(fake: FakeGitHub, tmp_path: Path, fault: Fault) -> None:
    populate(fake, 30)
    fake.stall = 2.0
    fake.faults.append(fault)
    sleeps = Sleeps()
    fetcher(fake, tmp_path, sleeps, timeout=1.0).run()
    assert len(repo_cache(tmp_path).load().runs) == 30
    assert fault.times == 0 and sleeps
    if "Retry-After" in fault.headers:
        assert 7.0 in sleeps
    if fault.status == 403:
        assert 60.0 in sleeps


def test_primary_rate_limit_waits_for_a_near_reset(fake: FakeGitHub, tmp_path: Path) -> None:
    populate(fake, 30)
    fake.faults.append(
        Fault(
            r"/jobs$",
            403,
            headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1000030"},
            body={"message": "API rate limit exceeded for user ID 1."},
        )
    )
    sleeps = Sleeps()
    f = fetcher(fake, tmp_path, sleeps)
    f.client.now = lambda: 1_000_000.0
    f.run()
    assert sleeps == [31.0]


def test_primary_rate_limit_far_away_stops_resumably(fake: FakeGitHub, tmp_path: Path) -> None:
    populate(fake, 150)
    fake.faults.append(
        Fault(
            r"/runs/11\d\d/jobs$",
            403,
            times=50,
            headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1999999999"},
            body={"message": "API rate limit exceeded for user ID 1."},
        )
    )
    with pytest.raises(RateLimited, match=r"resets at .* run the same command again"):
        fetcher(fake, tmp_path).run()
    partial = repo_cache(tmp_path).load()
    assert len(partial.runs) == 150 and 0 < (partial.runs["jobs_attempt"] > 0).sum() < 150
    fake.faults.clear()
    fetcher(fake, tmp_path).run()
    assert (repo_cache(tmp_path).load().runs["jobs_attempt"] > 0).all()


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("bad-token", r"rejected the token \(401\)"),
        ("no-repo", r"not found \(404\)"),
        ("no-workflow", "workflow file name"),
        ("forbidden", r"forbidden \(403\)"),
        ("always-502", "kept failing"),
    ],
)
def test_clear_errors_and_intact_cache(fake: FakeGitHub, tmp_path: Path, setup: str, message: str) -> None:
    populate(fake, 20)
    fetcher(fake, tmp_path).run()
    before = tables(tmp_path)
    populate(fake, 5, first_id=1020)
    client = GitHubClient(REPO, api_url=fake.url, token=TOKEN, sleep=Sleeps())
    workflow = WORKFLOW
    if setup == "bad-token":
        client = GitHubClient(REPO, api_url=fake.url, token="wrong", sleep=Sleeps())
    elif setup == "no-repo":
        client = GitHubClient("octo/missing", api_url=fake.url, token=TOKEN, sleep=Sleeps())
    elif setup == "no-workflow":
        workflow = "nope.yml"
    elif setup == "forbidden":
        fake.faults.append(Fault(r"/runs$", 403, body={"message": "Resource not accessible by integration"}))
    else:
        fake.faults.append(Fault(r"/runs$", 502, times=10))
    with pytest.raises(GitHubError, match=message) as caught:
        Fetcher(client, repo_cache(tmp_path), workflow, progress=False).run()
    assert TOKEN not in str(caught.value) and "wrong" not in str(caught.value)
    assert tables(tmp_path) == before


def test_expired_logs_are_marked_gone(fake: FakeGitHub, tmp_path: Path) -> None:
    populate(fake, 60)
    expired = sorted(fake.logs)[:2]
    for job_id in expired:
        fake.faults.append(Fault(rf"/jobs/{job_id}/logs$", 410, body={"message": "Gone"}))
    report = fetcher(fake, tmp_path).run()
    jobs = repo_cache(tmp_path).load().jobs.set_index("job_id")
    assert report.logs_gone == 2 and set(jobs.loc[expired, "log_status"]) == {"gone"}


def test_lowercase_headers_paginate(tmp_path: Path) -> None:
    with FakeGitHub(REPO, token=TOKEN, lowercase_headers=True) as fake:
        populate(fake, 230)
        fetcher(fake, tmp_path).run()
    assert len(repo_cache(tmp_path).load().runs) == 230


def test_truncated_cache_is_a_clear_error(fake: FakeGitHub, tmp_path: Path) -> None:
    populate(fake, 10)
    fetcher(fake, tmp_path).run()
    jobs = table_path(tmp_path, "jobs")
    jobs.write_bytes(jobs.read_bytes()[:100])
    damaged = jobs.read_bytes()
    with pytest.raises(CacheError, match=r"jobs/repo=octo__app/part-0\.parquet: unreadable"):
        fetcher(fake, tmp_path).run()
    assert jobs.read_bytes() == damaged


def test_token_never_reaches_the_cache(fake: FakeGitHub, tmp_path: Path) -> None:
    populate(fake, 40)
    fetcher(fake, tmp_path).run()
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), path
    state = json.loads((state_folder(tmp_path) / "state.json").read_text())
    assert "etags" in state


def test_since_until_filter(fake: FakeGitHub, tmp_path: Path) -> None:
    populate(fake, 120)  # one run an hour from 2026-06-01
    seen: list[str] = []
    original = fake._route

    def spy(request, path, query):
        if path.endswith("/runs"):
            seen.append(query.get("created", ""))
        return original(request, path, query)

    fake._route = spy
    fetcher(fake, tmp_path, since="2026-06-02", until="2026-06-02").run()
    runs = repo_cache(tmp_path).load().runs
    assert set(seen) == {""}, "no `created` query: GitHub caps such listings at 1,000 runs"
    assert len(runs) == 24 and runs["created_at"].dt.day.unique().tolist() == [2]
    assert fake.counted() <= 2 + 24 + len([j for j in fake.logs if 1024 <= j // 10 < 1048])


def test_cli_fetch_reads_the_token_from_the_environment(fake: FakeGitHub, tmp_path: Path, monkeypatch, capsys) -> None:
    from kit.cli import main

    populate(fake, 12)
    monkeypatch.delenv("GH_TOKEN", raising=False)
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    args = ["fetch", "--repo", REPO, "--workflow", WORKFLOW, "--cache", str(tmp_path), "--api-url", fake.url]
    assert main(args) == 0
    out = capsys.readouterr()
    assert "12 runs listed" in out.out and TOKEN not in out.out + out.err
    monkeypatch.setenv("GITHUB_TOKEN", "wrong-token")
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "rejected the token (401)" in err and "wrong-token" not in err


def test_cli_fetch_without_token_says_so(tmp_path: Path, monkeypatch, capsys) -> None:
    from kit.cli import main

    with FakeGitHub(REPO) as open_fake:
        populate(open_fake, 3)
        monkeypatch.delenv("GITHUB_TOKEN", raising=False)
        monkeypatch.delenv("GH_TOKEN", raising=False)
        args = ["fetch", "--repo", REPO, "--workflow", WORKFLOW, "--cache", str(tmp_path), "--api-url", open_fake.url]
        assert main(args) == 0
    assert "no GITHUB_TOKEN or GH_TOKEN" in capsys.readouterr().err


def test_cli_fetch_bad_date_is_a_clear_error(tmp_path: Path, capsys) -> None:
    from kit.cli import main

    assert main(["fetch", "--repo", REPO, "--since", "notadate", "--cache", str(tmp_path)]) == 2
    assert "--since/--until must be dates" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
