"""What a fetch will cost, told before it starts (`codex-kit fetch --estimate`), for one request.

GITHUB_TOKEN gets 1,000 REST requests and 1,000 GraphQL points an hour per repository: a first
pull that needs more stops half-way and resumes the next hour. The estimate reads both budgets
from `/rate_limit` (free: it does not count) and the number of runs on GitHub from a one-run page
of the listing (one request), compares it with the cache, and prices the rest: listing pages, jobs
(100 runs a query by GraphQL, one request a run by REST) and logs (the share of jobs the cache
needed logs for, or a cautious 0.3 a run for an empty cache). Nothing is written.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import pandas as pd

from kit.history.cache import HistoryCache
from kit.history.client import GitHubClient, margin
from kit.history.graphql import RUN_JOBS_DEFAULT, RUNS_PER_QUERY, query_points, run_jobs_size
from kit.history.schema import LogStatus

LOGS_PER_RUN_UNKNOWN = 0.3  # an empty cache: about this many logs a run (pre-hardening failures, DB tests)


@dataclass
class Estimate:
    runs_on_github: int
    runs_cached: int
    jobs_to_fetch: int
    requests: int
    points: int
    requests_left: int | None
    points_left: int | None
    requests_limit: int | None
    points_limit: int | None
    reset: int | None

    def hours(self) -> int:
        """Hours of budget the fetch needs (1: it fits in what is left of this one)."""
        need = []
        for cost, left, limit in ((self.requests, self.requests_left, self.requests_limit),
                                  (self.points, self.points_left, self.points_limit)):  # fmt: skip
            usable = (left or 0) - margin(limit)
            if cost <= usable:
                need.append(1)
            else:
                hourly = max((limit or 0) - margin(limit), 1)
                need.append(1 + math.ceil((cost - max(usable, 0)) / hourly))
        return max(need)

    def text(self) -> str:
        when = time.strftime("%H:%M UTC", time.gmtime(self.reset)) if self.reset else "the next hour"
        verdict = (
            "fits in what is left of this hour's budget"
            if self.hours() == 1
            else f"needs about {self.hours()} hours of budget: it stops resumably and goes on after {when}"
        )
        requests = f"{self.requests} REST requests ({_left(self.requests_left, self.requests_limit)})"
        points = f"{self.points} GraphQL points ({_left(self.points_left, self.points_limit)})"
        return (
            f"estimate: {self.runs_on_github} runs on GitHub, {self.runs_cached} cached, jobs of "
            f"{self.jobs_to_fetch} runs to fetch: about {requests} and {points}; {verdict}"
        )


def estimate(client: GitHubClient, cache: HistoryCache, workflow: str, api: str) -> Estimate:
    limits = client.rate_limits()
    listing = client.call(
        f"{client.runs_listing(workflow)} (count)", client.api.actions.list_workflow_runs, workflow, per_page=1
    )
    total = int((listing.data or {}).get("total_count") or 0)
    history = cache.load()
    runs, jobs = history.runs, history.jobs
    mine = runs[runs["workflow"] == workflow] if not runs.empty else runs
    pending = int((mine["jobs_attempt"] < mine["run_attempt"]).sum()) if not mine.empty else 0
    new = max(total - len(mine), 0)
    to_fetch = new + pending
    if not jobs.empty and not mine.empty:
        per_run = _log_requests(jobs, api) / max(jobs["run_id"].nunique(), 1)
        size = run_jobs_size(int(n) for n in jobs.groupby("run_id").size())
    else:
        per_run, size = LOGS_PER_RUN_UNKNOWN, RUN_JOBS_DEFAULT
    pages = math.ceil(new / 100) + (1 if new else 0)
    logs = math.ceil(to_fetch * per_run)
    if api == "graphql":
        requests, points = pages + logs, math.ceil(to_fetch / RUNS_PER_QUERY) * query_points(RUNS_PER_QUERY, size)
    else:
        requests, points = pages + to_fetch + logs, 0
    core, graph = limits.get("core") or {}, limits.get("graphql") or {}
    return Estimate(
        total, len(mine), to_fetch, requests, points, core.get("remaining"), graph.get("remaining"),
        core.get("limit"), graph.get("limit"), core.get("reset"),
    )  # fmt: skip


def _log_requests(jobs: pd.DataFrame, api: str) -> float:
    """Requests the cached jobs' logs took: GraphQL brings annotations with the jobs, so a failure they
    explain costs nothing; REST asks a hardened failure's annotations first, then its log if they do not."""
    status = jobs["log_status"]
    if api == "graphql":
        return float(status.isin((LogStatus.FETCHED, LogStatus.GONE, LogStatus.PENDING)).sum())
    asked = jobs["hardened"] & (jobs["contract_conclusion"] == "success") & (status != LogStatus.ANNOTATED)
    return float((status != LogStatus.NOT_NEEDED).sum() + asked.sum())


def _left(left: int | None, limit: int | None) -> str:
    return f"{left} of {limit} left this hour" if left is not None and limit else "budget unknown"
