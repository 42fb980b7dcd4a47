"""A server that misbehaves cannot make the fetch hang, loop, swell or crash: it stops with one clear error.

Each test checks the message (naming the request) and that the cache holds what it held before
the bad answer: its tables byte for byte, no temporary file.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlencode

import pytest

from kit.cli import main
from kit.errors import GitHubError
from kit.history.client import GitHubClient
from kit.history.fetch import Fetcher
from kit.history.tables import excerpt_rows
from tests.support.cache_files import repo_cache, state_folder
from tests.support.fake_github import FakeGitHub, Fault
from tests.support.history_builder import REPO, populate

WORKFLOW = "invariants.yml"
MiB = 2**20


def fetch(fake: FakeGitHub, cache: Path, **limits) -> Fetcher:
    client = GitHubClient(REPO, api_url=fake.url, token=None, sleep=lambda s: None, timeout=10.0, **limits)
    fetcher = Fetcher(client, repo_cache(cache), WORKFLOW, progress=False)
    fetcher.run()
    return fetcher


def files(cache: Path) -> dict[str, bytes]:
    """Every file of the cache but the manifest (which records why a fetch stopped) and the empty lock.

    The repository's state folder is left out of the names: its logs read `logs/<job_id>.log.gz`.
    """
    state = state_folder(cache).relative_to(cache).as_posix() + "/"
    return {
        p.relative_to(cache).as_posix().removeprefix(state): p.read_bytes()
        for p in sorted(cache.rglob("*"))
        if p.is_file() and p.name not in ("state.json", "fetch.lock")
    }


@pytest.fixture
def fetched(tmp_path: Path):
    """A fake with 30 runs, fetched once; then 5 more runs the next fetch would add."""
    with FakeGitHub(REPO) as fake:
        populate(fake, 30)
        fetch(fake, tmp_path / "c")
        populate(fake, 5, first_id=1030, seed=3)
        yield fake, tmp_path / "c"


@pytest.mark.parametrize("body", [[{"id": 1}], {"workflow_runs": "nope"}, {"workflow_runs": [{"name": "no id"}]}, "x"])
def test_a_listing_of_the_wrong_shape_is_a_clear_error(tmp_path: Path, body) -> None:
    with FakeGitHub(REPO) as fake:
        fake.faults.append(Fault(r"/runs$", 200, body=body, times=99))
        with pytest.raises(GitHubError, match=r"runs of invariants.yml page 1: the answer is not a `workflow_runs`"):
            fetch(fake, tmp_path / "c")
    assert not (tmp_path / "c").exists(), "a fetch that got nothing leaves no folder"


def _run_with(fake: FakeGitHub, **fields) -> dict:
    run = dict(next(iter(fake.runs.values())), **fields)
    return {"total_count": 1, "workflow_runs": [run]}


def _jobs_with(fake: FakeGitHub, **fields) -> dict:
    job = dict(fake.jobs[1030][0], **fields)
    return {"total_count": 1, "jobs": [job]}


@pytest.mark.parametrize(
    ("path", "shape", "message"),
    [
        (
            r"/runs$",
            "html",
            r"runs of invariants.yml page 1: the answer is not a `workflow_runs` listing \(got a string\)",
        ),
        (
            r"/runs$",
            {"created_at": "yesterday"},
            r"page 1: workflow run 1000 has `created_at` 'yesterday', expected an ISO",
        ),
        (r"/runs$", {"run_attempt": "2"}, r"workflow run 1000 has `run_attempt` '2', expected an integer or null"),
        (r"/runs$", {"pull_requests": {"a": 1}}, r"workflow run 1000 has `pull_requests` an object, expected a list"),
        (r"/runs/1030/jobs$", {"run_id": None}, r"jobs of run 1030 page 1: job 10300 has `run_id` missing or null"),
        (r"/runs/1030/jobs$", {"steps": "x"}, r"jobs of run 1030 page 1: job 10300 has `steps` 'x', expected a list"),
        (
            r"/runs/1030/jobs$",
            {"steps": [{"number": "one"}]},
            r"job 10300: step has `number` 'one', expected an integer",
        ),
        (r"/runs/1030/jobs$", {"steps": [7]}, r"job 10300: the answer is not a step \(got an integer\)"),
    ],
    ids=["html", "bad-time", "string-attempt", "object-prs", "no-run-id", "steps-string", "step-number", "step-int"],
)
def test_an_answer_of_the_wrong_shape_is_one_line_naming_the_request(
    fetched, capsys, monkeypatch, path, shape, message
) -> None:
    fake, cache = fetched
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_shapes0123456789")
    before = files(cache)
    if shape == "html":
        fake.faults.append(Fault(path, kind="html"))
    else:
        body = _run_with(fake, **shape) if path.endswith("runs$") else _jobs_with(fake, **shape)
        fake.faults.append(Fault(path, 200, body=body))
    args = ["fetch", "--repo", REPO, "--workflow", WORKFLOW, "--cache", str(cache.parent), "--api-url", fake.url]
    if "/jobs" in path:  # the REST jobs listing serves these shapes (GraphQL's check runs pass the same check_job)
        args += ["--api", "rest"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert err.startswith("codex-kit: ") and re.search(message, err), err
    assert files(cache) == before


def test_an_html_page_sent_as_json_is_named_as_not_json(fetched) -> None:
    fake, cache = fetched
    before = files(cache)
    fake.faults.append(Fault(r"/runs$", headers={"Content-Type": "application/json"}, times=99, kind="html"))
    with pytest.raises(
        GitHubError, match=r"runs of invariants.yml page 1: GitHub kept failing \(an answer that is not valid"
    ):
        fetch(fake, cache)
    assert files(cache) == before


@pytest.mark.parametrize("kind", ["drip", "drip-body"])
def test_a_server_that_drips_its_answer_is_stopped_at_the_deadline(fetched, kind: str) -> None:
    """One byte every 50 ms never trips the 10 s read timeout; the 1 s deadline for the whole request does."""
    fake, cache = fetched
    before = files(cache)
    fake.requests.clear()
    fake.faults.append(Fault(r"/runs$", kind=kind))
    with pytest.raises(GitHubError, match=r"^runs of invariants.yml page 1: no complete answer within 1 s"):
        fetch(fake, cache, deadline=1.0)
    assert len([r for r in fake.requests if r.path.endswith("/runs")]) == 1, "a deadline is not retried"
    assert files(cache) == before


@pytest.mark.parametrize("kind", ["huge", "gzip-bomb"])
def test_a_body_over_the_cap_is_refused_without_being_held(fetched, kind: str) -> None:
    fake, cache = fetched
    before = files(cache)
    fake.faults.append(Fault(r"/runs$", kind=kind, size=64 * MiB))
    with pytest.raises(GitHubError, match=r"runs of invariants.yml page 1: the answer is larger than 1 MiB"):
        fetch(fake, cache, max_json_bytes=MiB)
    assert files(cache) == before


@pytest.mark.parametrize("same_page", [True, False], ids=["links-back", "endless-next"])
def test_endless_pagination_stops(tmp_path: Path, same_page: bool) -> None:
    with FakeGitHub(REPO) as fake:
        populate(fake, 100)
        original = fake._page

        def endless(request, path, query, key, items):
            if key != "workflow_runs":
                return original(request, path, query, key, items)
            page = int(query.get("page", 1))
            following = 1 if same_page else page + 1
            link = f'<{fake.url}{path}?{urlencode({**query, "page": following})}>; rel="next"'
            fake._send(request, path, 200, {"total_count": 10**6, key: items[:100]}, {"Link": link})

        fake._page = endless
        fetch(fake, tmp_path / "c")
        pages = [r for r in fake.requests if r.path.endswith("/runs")]
        assert len(pages) <= 2, f"{len(pages)} listing pages asked for"
    assert len(repo_cache(tmp_path / "c").load().runs) == 100


@pytest.mark.parametrize(
    ("total", "ceiling", "message"),
    [
        (250, 5000, r"links to page 5 and beyond although its total_count \(250\) fills 3 \(at most 4 pages"),
        (None, 6, r"links to page 7 and beyond although no total_count \(at most 6 pages"),
    ],
    ids=["past-total-count", "page-ceiling"],
)
def test_endless_fresh_pages_stop_at_a_ceiling(tmp_path: Path, total, ceiling: int, message: str) -> None:
    """Each page brings 100 runs never seen before and links to the next: the listing is cut off, with an error."""
    with FakeGitHub(REPO) as fake:
        populate(fake, 1)
        template = next(iter(fake.runs.values()))

        def fresh(request, path, query, key, items):
            page = int(query.get("page", 1))
            runs = [dict(template, id=100_000 + page * 100 + i) for i in range(100)]
            link = f'<{fake.url}{path}?{urlencode({**query, "page": page + 1})}>; rel="next"'
            body = {key: runs} if total is None else {"total_count": total, key: runs}
            fake._send(request, path, 200, body, {"Link": link})

        fake._page = fresh
        with pytest.raises(GitHubError, match=rf"^runs of invariants.yml: the server {message}"):
            fetch(fake, tmp_path / "c", max_pages=ceiling)
        asked = len([r for r in fake.requests if r.path.endswith("/runs")])
    history = repo_cache(tmp_path / "c").load()
    assert asked == (4 if total else ceiling)
    assert len(history.runs) == asked * 100 and "links to page" in history.state["stopped"]


def test_a_link_without_a_page_number_is_a_clear_error(tmp_path: Path) -> None:
    with FakeGitHub(REPO) as fake:
        populate(fake, 3)
        fake.faults.append(Fault(r"/runs$", 200, body={"total_count": 3, "workflow_runs": []}, times=0))
        original = fake._page

        def odd_link(request, path, query, key, items):
            if key != "workflow_runs":
                return original(request, path, query, key, items)
            fake._send(
                request, path, 200, {"total_count": 3, key: items}, {"Link": f'<{fake.url}{path}?page=x>; rel="next"'}
            )

        fake._page = odd_link
        with pytest.raises(
            GitHubError, match=r"runs of invariants.yml page 1: the `Link` header's next page has no page"
        ):
            fetch(fake, tmp_path / "c")


@pytest.mark.parametrize("status", [404, 410])
def test_a_log_gone_is_recorded_with_its_job_and_steps_intact(tmp_path: Path, status: int) -> None:
    with FakeGitHub(REPO) as fake:
        populate(fake, 60)
        expired = sorted(fake.logs)[:3]
        for job_id in expired:
            fake.faults.append(
                Fault(rf"/jobs/{job_id}/logs$", status, body={"message": "Server Error", "status": "410"})
            )
        fetcher = fetch(fake, tmp_path / "c")
    history = repo_cache(tmp_path / "c").load()
    jobs = history.jobs.set_index("job_id")
    assert fetcher.report.logs_gone == 3 and set(jobs.loc[expired, "log_status"]) == {"gone"}
    assert jobs.loc[expired, "needs_log"].all() and set(history.steps["job_id"]) >= set(expired)
    assert not history.log_lines["job_id"].isin(expired).any()
    assert not any((state_folder(tmp_path / "c") / "logs" / f"{job_id}.log.gz").exists() for job_id in expired)


def test_a_large_log_is_streamed_and_excerpted_like_a_small_one(tmp_path: Path) -> None:
    with FakeGitHub(REPO) as fake:
        populate(fake, 20)
        job_id = sorted(fake.logs)[0]
        filler = "2026-06-01T00:00:00.0000000Z just output\r\n" * 300_000  # ~13 MB, many chunks
        fake.logs[job_id] = filler + fake.logs[job_id] + "x" * 200_000 + "\n"
        fetch(fake, tmp_path / "c")
        text = "\ufeff" + fake.logs[job_id]
    lines = repo_cache(tmp_path / "c").load().log_lines
    got = lines[lines["job_id"] == job_id].drop(columns=["job_id", "run_id"]).to_dict("records")
    want = [{k: v for k, v in r.items() if k not in ("job_id", "run_id")} for r in excerpt_rows(job_id, 0, text)]
    assert got == want and got, "the streamed excerpt is the whole-text excerpt"
    assert not list((tmp_path / "c").rglob("*.codex-kit.tmp"))


def test_a_log_over_the_cap_is_a_clear_error_and_leaves_no_file(fetched) -> None:
    """The runs and jobs fetched before the log are kept (consistent); the log is neither stored nor marked."""
    fake, cache = fetched
    before = files(cache)
    job_id = next(j for j in sorted(fake.logs) if j >= 10300)
    fake.logs[job_id] = "y" * (3 * MiB)
    with pytest.raises(GitHubError, match=rf"^log of job {job_id}: the answer is larger than 2 MiB"):
        fetch(fake, cache, max_log_bytes=2 * MiB)
    after = files(cache)
    assert {k: v for k, v in after.items() if k.startswith("logs/") and k in before} == {
        k: v for k, v in before.items() if k.startswith("logs/")
    }
    assert f"logs/{job_id}.log.gz" not in after and not list(cache.rglob("*.codex-kit.tmp"))
    history = repo_cache(cache).load()
    assert history.jobs.set_index("job_id").loc[job_id, "log_status"] == "pending"
    assert f"log of job {job_id}" in history.state["stopped"]
