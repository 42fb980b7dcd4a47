"""A failure the kit's own annotation explains costs no log; the others are downloaded a few at a time.

The histories here are hardened half-way; after the hardening every third Codex failure is a preflight
that found no quota (the kit's `::error::`/`::warning::` lines, which GitHub keeps as annotations) and
the others fail in Codex after a good preflight (the reason is only in the log).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kit.analysis.classify import classify
from kit.history.client import GitHubClient
from kit.history.fetch import LOG_DOWNLOADS, Fetcher
from kit.history.schema import LogStatus
from tests.support.cache_files import repo_cache
from tests.support.fake_github import FakeGitHub, Fault
from tests.support.history_builder import REPO, populate

TOKEN = "codex-kit-test-token-annotations-0123456789ab"
WORKFLOW = "invariants.yml"


@pytest.fixture
def fake():
    with FakeGitHub(REPO, token=TOKEN) as server:
        populate(server, 240, hardened_after=1080)
        yield server


def fetch(fake: FakeGitHub, cache: Path, api: str = "graphql"):
    client = GitHubClient(REPO, api_url=fake.url, token=TOKEN, sleep=lambda s: None, timeout=10.0)
    return Fetcher(client, repo_cache(cache), WORKFLOW, progress=False, api=api).run()


def downloaded(fake: FakeGitHub) -> set[int]:
    return {int(seen.path.rsplit("/", 2)[-2]) for seen in fake.requests if seen.path.endswith("/logs")}


def test_a_failed_preflight_is_read_from_its_annotations_and_its_log_is_never_asked(fake, tmp_path: Path) -> None:
    report = fetch(fake, tmp_path)
    jobs = repo_cache(tmp_path).load().jobs
    annotated = set(jobs.loc[jobs["log_status"] == LogStatus.ANNOTATED, "job_id"])
    fetched = set(jobs.loc[jobs["log_status"] == LogStatus.FETCHED, "job_id"])
    assert annotated and report.logs_annotated == len(annotated)
    assert not annotated & downloaded(fake)  # neither the API's redirect nor the signed host was asked
    assert fetched == downloaded(fake)
    failures = classify(repo_cache(tmp_path).load()).set_index("job_id")
    assert set(failures.loc[list(annotated), "category"]) == {"quota-exhausted"}
    assert (failures.loc[list(annotated), "line_no"] < 0).all()
    # A Codex step that failed after a good preflight still needs its log: the reason is only there.
    hardened_codex_failed = jobs[jobs["hardened"] & (jobs["contract_conclusion"] == "success")]
    codex_failed = set(hardened_codex_failed["job_id"]) - annotated
    assert codex_failed and codex_failed <= fetched
    assert "quota-exhausted" not in set(failures.loc[list(codex_failed), "category"])


def test_annotations_decide_exactly_what_the_whole_log_would(fake, tmp_path: Path) -> None:
    """The same history with annotations refused (a token without `checks: read`): every log is downloaded,
    and every job gets the category, rule and kit message it got from the annotations."""
    fetch(fake, tmp_path / "annotations", api="rest")
    fake.faults.append(Fault(path=r"/check-runs/\d+/annotations$", status=403, times=10**6,
                             body={"message": "Resource not accessible by integration"}))  # fmt: skip
    report = fetch(fake, tmp_path / "logs", api="rest")
    assert report.annotations_forbidden and "checks: read" in report.summary()
    by_annotations = classify(repo_cache(tmp_path / "annotations").load()).set_index("job_id")
    by_logs = classify(repo_cache(tmp_path / "logs").load()).set_index("job_id")
    assert (by_logs["log_status"] == LogStatus.FETCHED).sum() > (
        by_annotations["log_status"] == LogStatus.FETCHED
    ).sum()
    columns = ["category", "rule", "kit_message", "server_info"]
    assert by_annotations[columns].sort_index().equals(by_logs[columns].sort_index())


def test_logs_come_a_few_at_a_time_never_with_the_token(fake, tmp_path: Path) -> None:
    fake.latency = 0.05
    report = fetch(fake, tmp_path)
    assert report.logs_fetched >= 2 * LOG_DOWNLOADS
    assert 2 <= fake.peak <= LOG_DOWNLOADS
    assert fake.tokens_to_log_host == 0
    assert report.requests.spent == fake.counted()  # what the download threads spent is all accounted for
