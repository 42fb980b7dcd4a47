"""`--api graphql`: jobs, steps and annotations of 100 runs a query, against the fake's schema-checked /graphql."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from graphql import parse, validate

from kit.history.client import GitHubClient, GitHubError, RateLimited
from kit.history.fetch import LOG_DOWNLOADS, Fetcher
from kit.history.graphql import RUNS_QUERY, query_points
from kit.history.payloads import job, step
from tests.support.cache_files import repo_cache, state_folder, table_files
from tests.support.fake_github import FakeGitHub, Fault
from tests.support.fake_graphql import github_schema, points
from tests.support.history_builder import REPO, populate, rerun
from tests.support.interrupt import Killed, kill_on_save

TOKEN = "codex-kit-test-token-graphql-0123456789abcdef"
WORKFLOW = "invariants.yml"


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def fake():
    with FakeGitHub(REPO, token=TOKEN) as server:
        yield server


def fetcher(fake: FakeGitHub, cache: Path, api: str = "graphql", **kwargs) -> Fetcher:
    client = GitHubClient(REPO, api_url=fake.url, token=TOKEN, sleep=kwargs.pop("sleep", Sleeps()), timeout=10.0)
    return Fetcher(client, repo_cache(cache), WORKFLOW, progress=False, api=api, **kwargs)


def tables(cache: Path) -> dict[str, bytes]:
    return table_files(cache)


def both(fake: FakeGitHub, tmp_path: Path) -> tuple[dict[str, bytes], dict[str, bytes]]:
    fetcher(fake, tmp_path / "rest", api="rest").run()
    fetcher(fake, tmp_path / "graphql").run()
    return tables(tmp_path / "rest"), tables(tmp_path / "graphql")


def test_the_kits_query_is_valid_and_the_fake_refuses_an_invalid_one(fake: FakeGitHub) -> None:
    assert validate(github_schema(), parse(RUNS_QUERY)) == []
    client = GitHubClient(REPO, api_url=fake.url, token=TOKEN)
    with pytest.raises(GitHubError, match="Cannot query field 'noSuchField'"):
        client.graphql("a bad query", "query { rateLimit { cost } nodes(ids: []) { noSuchField } }", {})
    assert fake.graphql.spent == []  # GitHub charges nothing for a query it refuses


@pytest.mark.parametrize(("runs", "jobs"), [(100, 12), (100, 8), (100, 2), (40, 8), (3, 2)])
def test_the_fake_charges_the_documented_points_the_kit_expects(runs: int, jobs: int) -> None:
    variables = {"ids": [f"WFR_{i}" for i in range(runs)], "jobs": jobs, "steps": 100, "notes": 50}
    charged, requests = points(parse(RUNS_QUERY), variables)
    assert requests == runs + 2 * runs * jobs  # checkRuns under each run; steps and annotations under each job
    assert charged == query_points(runs, jobs)
    assert query_points(100, 12) <= 25  # the most the kit asks for: 0.25 points a run


def test_graphql_and_rest_give_identical_tables(fake: FakeGitHub, tmp_path: Path) -> None:
    populate(fake, 260, hardened_after=1130)
    rerun(fake, 1010)
    rerun(fake, 1200)
    populate(fake, 3, first_id=2000, status="in_progress")
    rest, graph = both(fake, tmp_path)
    assert rest == graph and {p.split("/")[0] for p in rest} == {"runs", "jobs", "steps", "log_lines"}
    history = repo_cache(tmp_path / "graphql").load()
    assert set(history.jobs[history.jobs["run_id"] == 1010]["run_attempt"]) == {1, 2}  # every attempt kept
    # Node ids are kept only for runs whose jobs are still to come (the in-progress ones), as on REST.
    assert set(json_state(tmp_path / "graphql")["node_ids"]) == {"2000", "2001", "2002"}
    assert json_state(tmp_path / "graphql")["node_ids"] == json_state(tmp_path / "rest")["node_ids"]


def json_state(cache: Path) -> dict:
    return json.loads((state_folder(cache) / "state.json").read_text())


def test_overflowing_connections_are_followed_never_dropped(fake: FakeGitHub, tmp_path: Path) -> None:
    populate(fake, 30)
    run = fake.runs[1005]
    start, end = run["created_at"], run["updated_at"]
    many_steps = [step(n, f"step {n}", "success", start, end) for n in range(1, 131)]
    extra = [job(job_id=90000 + n, run=run, name=f"matrix {n}", conclusion="success", steps=many_steps[: 3 + n],
                 started_at=start, completed_at=end) for n in range(20)]  # fmt: skip
    extra[0]["steps"] = many_steps  # 130 steps: more than one page of 100
    fake.jobs[1005] = fake.jobs[1005] + extra
    fake.logs[90001] = "".join(f"##[warning]note {n}\n" for n in range(60))  # 60 annotations: more than 50
    rest, graph = both(fake, tmp_path)
    assert rest == graph
    history = repo_cache(tmp_path / "graphql").load()
    assert len(history.jobs[history.jobs["run_id"] == 1005]) == 22
    assert len(history.steps[history.steps["job_id"] == 90000]) == 130


@pytest.mark.parametrize("fault", ["502", "partial", "rate-limited", "rate-limit-2026", "gone"])
def test_graphql_faults_leave_the_same_tables(fake: FakeGitHub, tmp_path: Path, fault: str) -> None:
    populate(fake, 150, hardened_after=1100)
    if fault == "502":
        fake.faults.append(Fault(r"^/graphql$", 502, times=2))
    elif fault == "gone":
        fake.graphql.gone.add("WFR_1003")  # deleted between the listing and the query: asked by REST
    else:
        fake.graphql.faults.append(fault)
        fake.reset = int(time.time()) + 30  # a reset near enough to wait for
    sleeps = Sleeps()
    fetcher(fake, tmp_path / "rest", api="rest").run()
    fetcher(fake, tmp_path / "graphql", sleep=sleeps).run()
    assert tables(tmp_path / "rest") == tables(tmp_path / "graphql")
    if fault.startswith("rate"):
        assert sleeps  # waited for the reset, which is near
    if fault in ("partial", "gone"):  # the run GraphQL could not answer for was asked by REST, as on the REST path
        asked = "/runs/1000/jobs" if fault == "partial" else "/runs/1003/jobs"
        assert sum(r.path.endswith(asked) for r in fake.requests) == 2


def test_spent_points_far_from_reset_stop_resumably(fake: FakeGitHub, tmp_path: Path) -> None:
    populate(fake, 120)
    fake.graphql.remaining = 3  # less than one query of 100 runs costs
    fake.reset += 7200
    client = GitHubClient(REPO, api_url=fake.url, token=TOKEN, sleep=Sleeps(), max_wait=60)
    with pytest.raises(RateLimited, match="run the same command again"):
        Fetcher(client, repo_cache(tmp_path), WORKFLOW, progress=False, api="graphql").run()
    assert "stopped" in json_state(tmp_path)
    fake.graphql.remaining = 5000
    fetcher(fake, tmp_path).run()
    whole = tmp_path / "whole"
    fetcher(fake, whole, api="rest").run()
    assert tables(tmp_path) == tables(whole)


def test_graphql_first_pull_cost(fake: FakeGitHub, tmp_path: Path) -> None:
    populate(fake, 400, hardened_after=1200)
    report = fetcher(fake, tmp_path).run()
    runs = 400
    assert report.requests.points <= 0.25 * runs
    history = repo_cache(tmp_path).load()
    logs = int((history.jobs["log_status"] == "fetched").sum())
    assert fake.counted() == 4 + logs  # the listing's pages and the logs: no jobs listing at all
    assert report.requests.queries == 4
    print(f"\ngraphql first pull of {runs} runs: {fake.counted()} requests, {report.requests.points} points")


def test_estimate_prints_the_cost_and_writes_nothing(fake: FakeGitHub, tmp_path: Path, monkeypatch, capsys) -> None:
    from kit.cli import main

    populate(fake, 250)
    monkeypatch.delenv("GH_TOKEN", raising=False)
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    args = ["fetch", "--repo", REPO, "--workflow", WORKFLOW, "--cache", str(tmp_path), "--api-url", fake.url]
    assert main([*args, "--estimate"]) == 0
    out = capsys.readouterr().out
    assert "250 runs on GitHub, 0 cached, jobs of 250 runs to fetch" in out
    assert "5000 of 5000 left this hour" in out and "fits in what is left" in out and TOKEN not in out
    assert list(tmp_path.iterdir()) == [] and fake.counted() == 1
    main([*args, "--api", "rest", "--estimate"])
    rest = capsys.readouterr().out
    assert "about 4" not in rest and "0 GraphQL points" in rest  # REST: a request per run, no points


def test_budget_stops_resumably_and_the_next_fetch_completes(fake: FakeGitHub, tmp_path: Path, monkeypatch, capsys):
    from kit.cli import main

    populate(fake, 150, hardened_after=1100)
    monkeypatch.delenv("GH_TOKEN", raising=False)
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    args = ["fetch", "--repo", REPO, "--workflow", WORKFLOW, "--cache", str(tmp_path), "--api-url", fake.url]
    before = fake.counted()
    assert main([*args, "--budget", "10"]) != 0
    err = capsys.readouterr().err
    assert "stopped within --budget 10" in err and "run the same command again" in err
    assert fake.counted() - before <= 10
    assert main(args) == 0
    whole = tmp_path / "whole"
    fetcher(fake, whole, api="rest").run()
    assert tables(tmp_path) == tables(whole) and "stopped" not in json_state(tmp_path)


def test_default_budget_leaves_a_margin_for_the_repositorys_other_jobs(fake: FakeGitHub, tmp_path: Path) -> None:
    populate(fake, 300, hardened_after=1100)
    fake.limit, fake.remaining = 1000, 60  # margin: 2% of 1,000
    with pytest.raises(RateLimited, match="less a margin of 20"):
        fetcher(fake, tmp_path).run()
    # Never into the margin; logs come a few at a time, so the stop can fall up to that many requests short.
    assert 20 <= fake.remaining < 20 + LOG_DOWNLOADS


def test_the_sample_sized_history_fits_one_hour_of_github_token(fake: FakeGitHub, tmp_path: Path) -> None:
    """2,706 runs over 90 days, as in data/sample/: within 1,000 REST requests and 1,000 points."""
    populate(fake, 2706, hardened_after=1000 + 1350)
    fake.limit = fake.remaining = 1000
    fake.graphql.limit = fake.graphql.remaining = 1000
    report = fetcher(fake, tmp_path).run()
    history = repo_cache(tmp_path).load()
    assert len(history.runs) == 2706 and (history.runs["jobs_attempt"] == 1).all()
    assert fake.counted() <= 1000 and sum(fake.graphql.spent) <= 1000
    print(f"\nsample-sized first pull: {fake.counted()} REST requests, {report.requests.points} points")


def test_refreshes_cost_next_to_nothing(fake: FakeGitHub, tmp_path: Path) -> None:
    populate(fake, 230, hardened_after=1100)
    fetcher(fake, tmp_path).run()
    before, spent = fake.counted(), len(fake.graphql.spent)
    fetcher(fake, tmp_path).run()
    assert fake.counted() - before <= 1 and fake.graphql.spent[spent:] == []  # immediate refresh: a 304 at most
    populate(fake, 50, seed=7, first_id=1230)
    before, spent = fake.counted(), len(fake.graphql.spent)
    report = fetcher(fake, tmp_path).run()
    assert fake.counted() - before - report.logs_fetched <= 5 and sum(fake.graphql.spent[spent:]) <= 5


def test_killed_graphql_fetch_resumes_to_the_same_bytes(fake: FakeGitHub, tmp_path: Path) -> None:
    populate(fake, 460, hardened_after=1100)
    rerun(fake, 1020)
    whole = tmp_path / "whole"
    fetcher(fake, whole, api="rest").run()
    broken = tmp_path / "broken"
    with pytest.raises(Killed):
        fetcher(fake, broken, on_save=kill_on_save(2), save_every=50).run()
    partial = repo_cache(broken).load()
    assert 0 < (partial.runs["jobs_attempt"] > 0).sum() < 460 and json_state(broken)["node_ids"]
    fetcher(fake, broken).run()
    assert tables(broken) == tables(whole)
    assert "node_ids" not in json_state(broken)  # every run's jobs stored: nothing left to remember
    for path in broken.rglob("*"):
        assert not path.is_file() or TOKEN.encode() not in path.read_bytes()


def test_a_graphql_answer_echoing_the_token_never_reaches_the_output(fake: FakeGitHub, tmp_path: Path, monkeypatch,
                                                                      capfd) -> None:  # fmt: skip
    from kit.cli import main

    populate(fake, 20)
    fake.faults.append(Fault(r"^/graphql$", 403, times=99, body={"message": f"token {TOKEN} lacks actions:read"}))
    monkeypatch.delenv("GH_TOKEN", raising=False)
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    args = ["fetch", "--repo", REPO, "--workflow", WORKFLOW, "--cache", str(tmp_path), "--api-url", fake.url]
    assert main(args) == 2
    out, err = capfd.readouterr()
    assert "forbidden (403)" in err and TOKEN not in out + err
    for path in tmp_path.rglob("*"):
        assert not path.is_file() or TOKEN.encode() not in path.read_bytes()


def test_a_graphql_answer_of_the_wrong_shape_is_one_line(fake: FakeGitHub, tmp_path: Path, monkeypatch, capsys):
    from kit.cli import main

    populate(fake, 5)
    check = {"id": "CR_1", "databaseId": "ten", "name": "x", "status": "COMPLETED", "conclusion": "SUCCESS",
             "startedAt": None, "completedAt": None, "detailsUrl": None,
             "steps": {"pageInfo": {"hasNextPage": False, "endCursor": None}, "nodes": []},
             "annotations": {"pageInfo": {"hasNextPage": False, "endCursor": None}, "nodes": []}}  # fmt: skip
    runs = {"pageInfo": {"hasNextPage": False, "endCursor": None}, "nodes": [check]}
    node = {"__typename": "WorkflowRun", "databaseId": 1000, "checkSuite": {"id": "CS_1000", "checkRuns": runs}}
    fake.faults.append(Fault(r"^/graphql$", 200, body={"data": {"rateLimit": {"cost": 1}, "nodes": [node]}}))
    monkeypatch.delenv("GH_TOKEN", raising=False)
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    args = ["fetch", "--repo", REPO, "--workflow", WORKFLOW, "--cache", str(tmp_path), "--api-url", fake.url]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "check run of run 1000: job has `id` 'ten'" in err, err
    assert main(args) == 0  # the next fetch resumes from the listing it kept
    assert len(repo_cache(tmp_path).load().jobs) == 10


@pytest.mark.parametrize(
    ("api_url", "graphql_url"),
    [
        ("https://api.github.com", "https://api.github.com/graphql"),
        ("https://ghe.example.com/api/v3", "https://ghe.example.com/api/graphql"),
        ("https://ghe.example.com/api/v3/", "https://ghe.example.com/api/graphql"),
    ],
)
def test_graphql_is_asked_where_github_serves_it(api_url: str, graphql_url: str) -> None:
    assert GitHubClient(REPO, api_url=api_url).graphql_url == graphql_url
