"""Make the tables agree with each other before a fetch trusts their progress markers.

A run's `jobs_attempt` says "its jobs are stored", a job's `log_status` says "its log is stored".
Those markers are only as good as the tables beside them: after a crash between two table
renames, or after the documented recovery of deleting a damaged table, they can vouch for rows
that are not there, and a fetch that trusted them would leave the hole for good. So whenever the
manifest does not name a table's file (`History.unvouched`), the markers are checked against the
rows and reset where the rows are missing, and the kept log lines are rebuilt from the stored
logs; a log marked fetched whose file is gone is always asked for again. Nothing here asks
GitHub; it only decides what the fetch must ask again.
"""

from __future__ import annotations

import gzip
import re
import zlib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from kit.history.cache import History
from kit.history.schema import LogStatus
from kit.history.tables import LogExcerpt


@dataclass
class Repairs:
    runs_to_refetch: int = 0
    logs_to_refetch: int = 0
    logs_reread: int = 0

    def __bool__(self) -> bool:
        return bool(self.runs_to_refetch or self.logs_to_refetch or self.logs_reread)


def repair(history: History, logs: Path, signal: re.Pattern[str]) -> Repairs:
    """Reset the markers that vouch for missing rows; rebuild log lines from `logs` (the stored raw logs)."""
    done = Repairs()
    if history.unvouched:
        done.runs_to_refetch = _runs_without_their_jobs(history)
    if {"jobs", "log_lines"} & history.unvouched:
        done.logs_to_refetch, done.logs_reread = _logs_without_their_lines(history, logs, signal)
    else:
        done.logs_to_refetch = _logs_not_stored(history, logs)
    return done


def _logs_not_stored(history: History, logs: Path) -> int:
    """A log marked fetched whose file is gone (deleted by hand, a lost copy) is asked for again."""
    stored = {path.name for path in logs.glob("*.log.gz")} if logs.is_dir() else set()
    jobs = history.jobs
    fetched = jobs["log_status"] == LogStatus.FETCHED
    lost = fetched & ~jobs["job_id"].map(lambda job_id: f"{int(job_id)}.log.gz" in stored).astype(bool)
    jobs.loc[lost, "log_status"] = LogStatus.PENDING
    return int(lost.sum())


def _runs_without_their_jobs(history: History) -> int:
    """Runs whose stored attempt has no job rows (or, when steps are in doubt, a job without steps) are re-asked."""
    runs, jobs = history.runs, history.jobs
    stored = set(zip(jobs["run_id"].astype(int), jobs["run_attempt"].astype(int), strict=True))
    lacking = pd.Series(
        [(int(r), int(a)) not in stored for r, a in zip(runs["run_id"], runs["jobs_attempt"], strict=True)],
        index=runs.index,
        dtype=bool,
    )
    if "steps" in history.unvouched:  # a job stored without its steps cannot be told from one that has none,
        # except a skipped one: GitHub lists those with `steps: []` (every fork-PR Codex job), so they cost nothing
        lost = ~jobs["job_id"].isin(history.steps["job_id"]) & (jobs["conclusion"] != "skipped")
        stepless = set(jobs["run_id"][lost].astype(int))
        lacking |= runs["run_id"].isin(stepless)
    reset = lacking & (runs["jobs_attempt"] > 0)
    runs.loc[reset, "jobs_attempt"] = 0
    return int(reset.sum())


def _logs_without_their_lines(history: History, logs: Path, signal: re.Pattern[str]) -> tuple[int, int]:
    """Kept lines are rebuilt from each stored log; a log marked fetched but not stored is asked again."""
    jobs = history.jobs
    fetched = jobs[jobs["log_status"] == LogStatus.FETCHED]
    rows, missing, reread = [], [], 0
    for job in fetched.itertuples():
        lines = _reread(logs / f"{int(job.job_id)}.log.gz", int(job.job_id), int(job.run_id), signal)
        if lines is None:
            missing.append(int(job.job_id))
        else:
            rows.extend(lines)
            reread += 1
    jobs.loc[jobs["job_id"].isin(missing), "log_status"] = LogStatus.PENDING
    # Lines read from annotations have no stored log to rebuild them from: those are asked again (one query
    # or request each, far cheaper than a log).
    annotated = jobs["log_status"] == LogStatus.ANNOTATED
    jobs.loc[annotated, "log_status"] = LogStatus.PENDING
    history.log_lines = history.log_lines.iloc[0:0]
    history.upsert("log_lines", rows)
    return len(missing) + int(annotated.sum()), reread


def _reread(path: Path, job_id: int, run_id: int, signal: re.Pattern[str]) -> list[dict] | None:
    excerpt = LogExcerpt(job_id, run_id, signal)
    try:
        with gzip.open(path, "rb") as stored:
            while chunk := stored.read(1 << 20):
                excerpt.feed_bytes(chunk)
    except (OSError, EOFError, zlib.error):
        return None
    return excerpt.close()
