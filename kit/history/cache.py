"""The local history cache: one folder per repository, Parquet tables, written atomically.

Layout of `<cache>/<owner>__<repo>/` (the tables' columns are defined in `kit/history/schema.py`):

- `runs.parquet` — one row per workflow run (latest attempt).
- `jobs.parquet` — one row per job *attempt* (jobs?filter=all), with the facts the report needs.
- `steps.parquet` — the steps of each stored job.
- `log_lines.parquet` — the lines of fetched logs worth classifying.
- `logs/<job_id>.log.gz` — the raw log, kept because GitHub deletes logs after 90 days.
- `state.json` — ETags, the periods of each workflow the cache holds completely (`coverage`) and why
  the last fetch stopped, if it did; written last, so tables never point past it.

Every file is written to a temporary name and renamed into place; rows are kept sorted by their
keys, so the same history gives the same bytes however many fetches it took. A table that cannot
be read (a truncated file) is reported with its path and what to do; nothing is overwritten.
"""

from __future__ import annotations

import gzip
import io
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from kit.errors import CacheError
from kit.history.locations import split_repo
from kit.history.schema import COLUMNS, KEYS, SCHEMA_VERSION, TABLES, typed
from kit.textfile import write_atomic

# Saved in this order: a table that records progress (runs' `jobs_attempt`, jobs' `log_status`) goes
# after the tables it vouches for, so a crash between two saves leaves work to redo, never a hole.
SAVE_ORDER = ("log_lines", "steps", "jobs", "runs")


def cache_folder(root: Path, repo: str) -> Path:
    """`<root>/<owner>__<repo>`, lower-cased: GitHub's names are case-insensitive, so is the cache."""
    owner, name = split_repo(repo)
    return root / f"{owner}__{name}".lower()


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
        return cls(*(typed(name, pd.DataFrame()) for name in KEYS), state={})

    def table(self, name: str) -> pd.DataFrame:
        return getattr(self, name)

    def upsert(self, name: str, rows: list[dict[str, Any]]) -> None:
        """Add rows, replacing any with the same key."""
        if not rows:
            return
        new = typed(name, pd.DataFrame(rows))
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
                setattr(history, name, typed(name, table))
        state_path = self.folder / "state.json"
        if state_path.exists():
            try:
                history.state = json.loads(state_path.read_text())
            except json.JSONDecodeError as err:
                raise CacheError(f"{state_path}: not valid JSON ({err}); delete it to refetch listings") from err
            if history.state.get("schema_version", SCHEMA_VERSION) != SCHEMA_VERSION:
                raise CacheError(f"{state_path}: written by another cache schema version; fetch into a new --cache")
        return history

    def check_writable(self) -> None:
        """Say plainly, before a fetch spends a request, when the folder cannot be made or written.

        Nothing is created here: a fetch that then fails on its first request leaves no empty folders.
        """
        existing = self.folder
        while not existing.exists() and existing != existing.parent:
            existing = existing.parent
        if not existing.is_dir():
            raise CacheError(f"{self.folder}: cannot write the history cache there ({existing} is a file)")
        if not os.access(existing, os.W_OK | os.X_OK):
            raise CacheError(f"{self.folder}: cannot write the history cache there ({existing} is not writable)")

    def _make_folder(self) -> None:
        try:
            (self.folder / "logs").mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise CacheError(f"{self.folder}: cannot write the history cache there ({err.strerror or err})") from err

    def save(self, history: History) -> None:
        self.check_writable()
        self._make_folder()
        for name in SAVE_ORDER:
            table = history.table(name).sort_values(KEYS[name]).reset_index(drop=True)
            setattr(history, name, table)
            buffer = io.BytesIO()
            pq.write_table(pa.Table.from_pandas(table, schema=TABLES[name], preserve_index=False), buffer)
            write_atomic(self.folder / f"{name}.parquet", buffer.getvalue())
        state = {**history.state, "schema_version": SCHEMA_VERSION}
        write_atomic(self.folder / "state.json", json.dumps(state, indent=1, sort_keys=True).encode())

    def save_log(self, job_id: int, text: str) -> None:
        write_atomic(self.folder / "logs" / f"{job_id}.log.gz", gzip.compress(text.encode("utf-8"), mtime=0))
