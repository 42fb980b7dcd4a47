"""How many GitHub requests a fetch costs, against its lower bound and against a naive ghapi script.

Run: .venv/bin/python benchmarks/requests_bench.py [--runs 1000 10000] [--latency-runs 1000 --latency 0.05]

Everything talks HTTP to the tests' fake GitHub server on loopback. The lower bound for a first
pull is ceil(runs/100) listing pages + one jobs listing per run + one request per needed log.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ghapi.all import GhApi

from kit.history.cache import HistoryCache, cache_folder
from kit.history.client import GitHubClient
from kit.history.fetch import Fetcher
from tests.support.fake_github import FakeGitHub
from tests.support.history_builder import REPO, populate

TOKEN = "bench-token"
WORKFLOW = "invariants.yml"


LAST: dict[str, int] = {}  # what the last fetch did with logs: downloaded, read from annotations


def fetch(fake: FakeGitHub, cache: Path, api: str = "rest") -> tuple[int, float]:
    start, began = len(fake.requests), time.perf_counter()
    client = GitHubClient(REPO, api_url=fake.url, token=TOKEN, sleep=lambda s: None)
    report = Fetcher(client, HistoryCache(cache_folder(cache, REPO)), WORKFLOW, progress=False, api=api).run()
    LAST.update(logs=report.logs_fetched, annotated=report.logs_annotated)
    return sum(r.counted for r in fake.requests[start:]), time.perf_counter() - began


def fetch_graphql(fake: FakeGitHub, cache: Path) -> tuple[int, int, int, float]:
    """(REST requests counted, GraphQL points, round trips to GitHub, seconds) of a `--api graphql` fetch."""
    start, spent = len(fake.requests), len(fake.graphql.spent)
    counted, seconds = fetch(fake, cache, api="graphql")
    trips = sum(not r.path.startswith("/_signed/") and r.status != 304 for r in fake.requests[start:])
    return counted, sum(fake.graphql.spent[spent:]), trips, seconds


def naive(fake: FakeGitHub, reuse_connections: bool = False) -> tuple[int, float]:
    """What a user would write with ghapi alone: every page, jobs of every run, logs of failed jobs.

    `reuse_connections` gives it one connection pool (ghapi's default opens a new client per
    request); used for the request counts on large histories so the benchmark finishes sooner.
    """
    start, began = len(fake.requests), time.perf_counter()
    api = GhApi(owner="octo", repo="app", token=TOKEN, gh_host=fake.url, sync=True)
    if reuse_connections:
        import httpx2

        api.transport.client = httpx2.Client(follow_redirects=True)
    page = 1
    while True:
        runs = api.actions.list_workflow_runs(WORKFLOW, per_page=100, page=page).workflow_runs
        if not runs:
            break
        for run in runs:
            jobs = api.actions.list_jobs_for_workflow_run(run.id, filter="all", per_page=100).jobs
            for job in jobs:
                if job.conclusion == "failure":
                    api.actions.download_job_logs_for_workflow_run(job.id)
        page += 1
    return sum(r.counted for r in fake.requests[start:]), time.perf_counter() - began


def lower_bound(fake: FakeGitHub, cache: Path) -> int:
    history = HistoryCache(cache_folder(cache, REPO)).load()
    return math.ceil(len(fake.runs) / 100) + len(fake.runs) + int(history.jobs["needs_log"].sum())


def measure(runs: int) -> None:
    with FakeGitHub(REPO, token=TOKEN) as fake, tempfile.TemporaryDirectory() as folder:
        fake.limit = fake.remaining = 1_000_000  # a GitHub App installation's budget, so 10,000 runs fit
        fake.graphql.limit = fake.graphql.remaining = 1_000_000
        populate(fake, runs, hardened_after=1000 + runs // 2)
        cache, graph = Path(folder) / "rest", Path(folder) / "graphql"
        first, first_s = fetch(fake, cache)
        bound = lower_bound(fake, cache)
        again, _ = fetch(fake, cache)
        g_first, g_points, g_trips, g_s = fetch_graphql(fake, graph)
        g_logs = dict(LAST)
        g_again, g_again_points, _, _ = fetch_graphql(fake, graph)
        populate(fake, 50, seed=7, first_id=1000 + runs)
        after_new, _ = fetch(fake, cache)
        g_new, g_new_points, _, _ = fetch_graphql(fake, graph)
        new_logs = sum(1 for j in fake.logs if j // 10 >= 1000 + runs)
        naive_count, naive_s = naive(fake, reuse_connections=True)
        jobs = HistoryCache(cache_folder(cache, REPO)).load().jobs
        hidden = int((jobs["needs_log"] & (jobs["conclusion"] == "success")).sum())
        names = [p.relative_to(cache) for p in sorted(cache.glob("*/repo=*/*.parquet"))]
        same = len(names) == 4 and all((cache / n).read_bytes() == (graph / n).read_bytes() for n in names)
        print(f"\n{runs} runs (lower bound for a first pull: {bound})")
        print(f"  (a) first pull            {first:6d} requests  {first / bound:5.2f}x the bound  ({first_s:.1f} s)")
        print(f"  (b) immediate refresh     {again:6d} requests counted against the rate limit")
        print(f"  (c) refresh after 50 new  {after_new:6d} requests  (1 page + 50 + {new_logs} logs = {51 + new_logs})")
        print(f"  (d) naive ghapi script    {naive_count:6d} requests  {naive_count / bound:5.2f}x the bound, "
              f"and the same again on every refresh ({naive_s:.1f} s)")  # fmt: skip
        print(f"      the naive script never sees the {hidden} Codex failures hidden by continue-on-error")
        print(f"  --api graphql: (a) first pull {g_first} requests + {g_points} points = "
              f"{(g_first + g_points) / bound:.2f}x the bound, {g_trips} round trips = {g_trips / bound:.2f}x "
              f"({g_s:.1f} s); jobs+steps+annotations {g_points / runs:.3f} points a run; "
              f"{g_logs['logs']} logs downloaded, {g_logs['annotated']} failures read from annotations")  # fmt: skip
        print(f"                 (b) immediate refresh {g_again} requests + {g_again_points} points; "
              f"(c) after 50 new {g_new} requests + {g_new_points} points ({new_logs} of them logs); "
              f"tables identical to REST: {same}")  # fmt: skip


def measure_latency(runs: int, latency: float) -> None:
    with FakeGitHub(REPO, token=TOKEN) as fake, tempfile.TemporaryDirectory() as folder:
        populate(fake, runs, hardened_after=1000 + runs // 2)
        fake.latency = latency
        _, ours = fetch(fake, Path(folder) / "rest")
        *_, graph = fetch_graphql(fake, Path(folder) / "graphql")
        _, theirs = naive(fake)
        print(f"\nwith {latency * 1000:.0f} ms per request, {runs} runs: codex-kit first pull {ours:.1f} s (REST), "
              f"{graph:.1f} s (GraphQL: {ours / graph:.1f}x faster than REST, {theirs / graph:.1f}x than naive), "
              f"naive {theirs:.1f} s ({theirs / ours:.2f}x)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--latency-runs", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.05)
    args = parser.parse_args()
    for runs in args.runs:
        measure(runs)
    if args.latency_runs:
        measure_latency(args.latency_runs, args.latency)


if __name__ == "__main__":
    main()
