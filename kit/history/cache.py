"""The local history cache: one folder per repository, Parquet tables, written atomically.

Layout of `<cache>/<owner>__<repo>/`:

- `runs.parquet` — one row per workflow run (latest attempt): run_id, workflow, run_number,
  run_attempt, name, event, status, conclusion, head_branch, head_sha, head_repo, repo,
  is_fork_pr, pull_requests, actor, created_at, updated_at, run_started_at, html_url,
  jobs_attempt (the attempt whose jobs are stored; 0 = not yet).
- `jobs.parquet` — one row per job *attempt* (jobs?filter=all): job_id, run_id, run_attempt, name,
  status, conclusion, started_at, completed_at, html_url, has_codex, has_db_test, hardened,
  codex_conclusion, preflight_conclusion, contract_conclusion, needs_log,
  log_status (pending | fetched | gone | not-needed).
- `steps.parquet` — job_id, run_id, number, name, status, conclusion, started_at, completed_at,
  is_codex, kit_step.
- `log_lines.parquet` — the lines of fetched logs worth classifying: job_id, run_id, line_no,
  group (the `##[group]Run …` header above the line), text (timestamp and ANSI codes removed).
- `logs/<job_id>.log.gz` — the raw log, kept because GitHub deletes logs after 90 days.
- `state.json` — ETags and listing progress; written last, so tables never point past it.

Every file is written to a temporary name and renamed into place; rows are kept sorted by their
keys, so the same history gives the same bytes however many fetches it took. A table that cannot
be read (a truncated file) is reported with its path and what to do; nothing is overwritten.
"""

from __future__ import annotations

import gzip
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from kit.errors import CacheError
from kit.textfile import write_atomic

SCHEMA_VERSION = 1
KEYS = {
    "runs": ["run_id"],
    "jobs": ["job_id"],
    "steps": ["job_id", "number"],
    "log_lines": ["job_id", "line_no"],
}
COLUMNS = {
    "runs": [
        "run_id",
        "workflow",
        "run_number",
        "run_attempt",
        "name",
        "event",
        "status",
        "conclusion",
        "head_branch",
        "head_sha",
        "head_repo",
        "repo",
        "is_fork_pr",
        "pull_requests",
        "actor",
        "created_at",
        "updated_at",
        "run_started_at",
        "html_url",
        "jobs_attempt",
    ],
    "jobs": [
        "job_id",
        "run_id",
        "run_attempt",
        "name",
        "status",
        "conclusion",
        "started_at",
        "completed_at",
        "html_url",
        "has_codex",
        "has_db_test",
        "hardened",
        "codex_conclusion",
        "preflight_conclusion",
        "contract_conclusion",
        "needs_log",
        "log_status",
    ],
    "steps": [
        "job_id",
        "run_id",
        "number",
        "name",
        "status",
        "conclusion",
        "started_at",
        "completed_at",
        "is_codex",
        "kit_step",
    ],
    "log_lines": ["job_id", "run_id", "line_no", "group", "text"],
}
TIMESTAMPS = ("created_at", "updated_at", "run_started_at", "started_at", "completed_at")


def cache_folder(root: Path, repo: str) -> Path:
    return root / repo.replace("/", "__")


@dataclass
class History:
    """The four tables in memory."""

    runs: pd.DataFrame
    jobs: pd.DataFrame
    steps: pd.DataFrame
    log_lines: pd.DataFrame
    state: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def empty(cls) -> History:
        return cls(*(pd.DataFrame(columns=COLUMNS[name]) for name in KEYS), state={})

    def table(self, name: str) -> pd.DataFrame:
        return getattr(self, name)

    def upsert(self, name: str, rows: list[dict[str, Any]]) -> None:
        """Add rows, replacing any with the same key."""
        if not rows:
            return
        new = pd.DataFrame(rows)
        for column in COLUMNS[name]:
            if column not in new:
                new[column] = None
        new = _typed(new[COLUMNS[name]])
        old = self.table(name)
        merged = new if old.empty else pd.concat([old, new], ignore_index=True)
        merged = merged.drop_duplicates(KEYS[name], keep="last")
        setattr(self, name, merged.reset_index(drop=True))


class HistoryCache:
    """Reads and writes one repository's history folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def load(self) -> History:
        history = History.empty()
        if not self.folder.exists():
            return history
        for name in KEYS:
            path = self.folder / f"{name}.parquet"
            if path.exists():
                try:
                    table = pq.read_table(path).to_pandas()
                except (OSError, pa.ArrowInvalid) as err:
                    raise CacheError(
                        f"{path}: unreadable ({err}); the file is damaged (a truncated copy?). Delete it and run "
                        "`codex-kit fetch` again to rebuild it; nothing else was changed"
                    ) from err
                missing = set(COLUMNS[name]) - set(table.columns)
                if missing:
                    raise CacheError(f"{path}: lacks columns {sorted(missing)}; it is not a codex-kit cache table")
                setattr(history, name, _typed(table[COLUMNS[name]]))
        state_path = self.folder / "state.json"
        if state_path.exists():
            try:
                history.state = json.loads(state_path.read_text())
            except json.JSONDecodeError as err:
                raise CacheError(f"{state_path}: not valid JSON ({err}); delete it to refetch listings") from err
            if history.state.get("schema_version", SCHEMA_VERSION) != SCHEMA_VERSION:
                raise CacheError(f"{state_path}: written by another cache schema version; fetch into a new --cache")
        return history

    def save(self, history: History) -> None:
        (self.folder / "logs").mkdir(parents=True, exist_ok=True)
        for name in KEYS:
            table = history.table(name).sort_values(KEYS[name]).reset_index(drop=True)
            setattr(history, name, table)
            buffer = io.BytesIO()
            pq.write_table(pa.Table.from_pandas(table, preserve_index=False), buffer)
            write_atomic(self.folder / f"{name}.parquet", buffer.getvalue())
        state = {**history.state, "schema_version": SCHEMA_VERSION}
        write_atomic(self.folder / "state.json", json.dumps(state, indent=1, sort_keys=True).encode())

    def save_log(self, job_id: int, text: str) -> None:
        (self.folder / "logs").mkdir(parents=True, exist_ok=True)
        write_atomic(self.folder / "logs" / f"{job_id}.log.gz", gzip.compress(text.encode("utf-8"), mtime=0))


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    for column in frame.columns:
        if column in TIMESTAMPS:
            frame[column] = pd.to_datetime(frame[column], utc=True, errors="coerce", format="ISO8601")
        elif column in ("run_id", "job_id", "run_number", "run_attempt", "number", "line_no", "jobs_attempt"):
            frame[column] = frame[column].fillna(0).astype("int64")
        elif column.startswith(("is_", "has_", "needs_")) or column == "hardened":
            frame[column] = frame[column].fillna(False).astype(bool)
        else:
            frame[column] = frame[column].fillna("").astype(str)
    return frame
