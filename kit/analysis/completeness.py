"""Is the history a report stands on complete? The period it covers and every reason to doubt it.

A report on half a history looks exactly like a report on a whole one, and is worse than none, so
every gap the cache knows of becomes a warning that names the command that fills it: periods the
cache never listed, runs whose jobs were never fetched, logs still pending, a fetch that stopped
on the rate limit or an interrupt, and a workflow with no runs at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from kit.analysis.parameters import ReportParameters
from kit.history import coverage, layout
from kit.history.cache import History
from kit.history.locations import day_window
from kit.history.schema import LogStatus


@dataclass(frozen=True)
class Completeness:
    """The period a report covers and what, if anything, is missing from it."""

    first_run: pd.Timestamp | None
    last_run: pd.Timestamp | None
    runs: int
    warnings: list[str] = field(default_factory=list)

    def period(self) -> str:
        if self.first_run is None or self.last_run is None:
            return "no runs"
        return f"{self.first_run:%Y-%m-%d} to {self.last_run:%Y-%m-%d} ({self.runs} runs)"

    def to_json(self) -> dict:
        def day(moment: pd.Timestamp | None) -> str | None:
            return None if moment is None else moment.isoformat()

        return {"first_run": day(self.first_run), "last_run": day(self.last_run), "runs": self.runs,
                "complete": not self.warnings, "warnings": self.warnings}  # fmt: skip


def fetch_command(repo: str, params: ReportParameters, since: str | None = None, until: str | None = None) -> str:
    """The `codex-kit fetch` that fills a gap, as the user would type it."""
    parts = ["codex-kit fetch", f"--repo {repo}", f"--workflow {params.workflow}"]
    if params.cache_dir:
        parts.append(f"--cache {params.cache_dir}")
    parts += [f"--since {since}"] if since else []
    parts += [f"--until {until}"] if until else []
    return "`" + " ".join(parts) + "`"


def check(history: History, repo: str, params: ReportParameters) -> Completeness:
    """The report's period and its warnings (empty when nothing is known to be missing)."""
    runs = history.runs
    first = runs["created_at"].min() if len(runs) else None
    last = runs["created_at"].max() if len(runs) else None
    warnings = _no_runs(history, repo, params) + _gaps(history, repo, params)
    warnings += _unfetched(history, repo, params)
    warnings += _damaged(history, repo, params)
    stopped = history.state.get("stopped")
    if stopped:
        warnings.append(
            f"the last fetch stopped before it finished ({stopped}); run {fetch_command(repo, params)} to complete it"
        )
    return Completeness(first, last, len(runs), warnings)


def _no_runs(history: History, repo: str, params: ReportParameters) -> list[str]:
    if len(history.runs):
        return []
    known = sorted(history.state.get("coverage", {}))
    held = f"; the cache holds runs of {', '.join(known)}" if known else ""
    return [f"no runs of {params.workflow} in the period asked for{held}"]


def _gaps(history: History, repo: str, params: ReportParameters) -> list[str]:
    return coverage_warnings(history.state, repo, params)


def coverage_warnings(state: dict[str, Any], repo: str, params: ReportParameters) -> list[str]:
    """What the cache's coverage makes the report say: the periods of the window never fetched.

    Only this reaches a report, not the coverage itself: a refresh that moves the end of a covered
    period to now (every fetch does) changes nothing a report says (team reuse relies on that)."""
    if state.get("sample"):
        return []
    covered = coverage.read(state, params.workflow)
    if not covered:
        return [
            f"the cache does not record which periods of {params.workflow} it holds (never fetched, or by an "
            f"older codex-kit); run {fetch_command(repo, params)}"
        ]
    low, until = day_window(params.since, params.until)
    high = max(end for _, end in covered)
    high = high if until is None else min(high, until)
    found = []
    for start, end in coverage.gaps(covered, low, high):
        since = None if start is None else f"{start:%Y-%m-%d}"
        found.append(
            f"runs created {coverage.describe((start, end))} were never fetched; "
            f"run {fetch_command(repo, params, since, f'{end:%Y-%m-%d}')}"
        )
    return found


def _damaged(history: History, repo: str, params: ReportParameters) -> list[str]:
    """Tables whose file is not the one the cache's manifest names: deleted, restored or edited since the
    last fetch wrote them (or written by a codex-kit before manifests). Their rows cannot be trusted
    to be whole; the next fetch repairs them."""
    if not history.unvouched:
        return []
    files = ", ".join(layout.table_name(name, repo) for name in sorted(history.unvouched))
    return [
        f"the cache's {files} is missing or not the file its last fetch wrote, so rows may be missing; run "
        f"{fetch_command(repo, params)} to repair it"
    ]


def _unfetched(history: History, repo: str, params: ReportParameters) -> list[str]:
    runs = history.runs
    done = runs[runs["status"] == "completed"]
    without = int((done["jobs_attempt"] < done["run_attempt"]).sum())
    pending = int((history.jobs["log_status"] == LogStatus.PENDING).sum())
    found = []
    if without:
        found.append(
            f"jobs were never fetched for {without} of {len(done)} completed runs, so their failures are not "
            f"counted; run {fetch_command(repo, params)}"
        )
    if pending:
        found.append(f"{pending} job logs are not fetched yet, so those failures have no reason; run "
                     f"{fetch_command(repo, params)}")  # fmt: skip
    gone = int((history.jobs["log_status"] == LogStatus.GONE).sum())
    if gone:
        found.append(
            f"{gone} job logs are gone from GitHub (deleted after the log retention period) and were never kept "
            "in the cache; those failures are counted as log-gone, cause unknown. A scheduled fetch keeps logs "
            "before they expire"
        )
    return found
