"""The local history cache: one folder per repository, Parquet tables, written so a crash cannot break it.

Layout of `<cache>/<owner>__<repo>/` (the tables' columns are defined in `kit/history/schema.py`):

- `runs.parquet` — one row per workflow run (latest attempt).
- `jobs.parquet` — one row per job *attempt* (jobs?filter=all), with the facts the report needs.
- `steps.parquet` — the steps of each stored job.
- `log_lines.parquet` — the lines of fetched logs worth classifying.
- `logs/<job_id>.log.gz` — the raw log, kept because GitHub deletes logs after 90 days.
- `state.json` — the manifest: the SHA-256 of each table file that belongs to it (`tables`), ETags,
  the periods of each workflow the cache holds completely (`coverage`) and why the last fetch
  stopped, if it did. Written last, so it only ever names tables that were completely written.
- `fetch.lock` — held (flock) by the one fetch writing the folder; empty when none is.

A save first writes every changed table to a temporary file (that is where a full disk or a
read-only folder shows up, and then nothing has been replaced), then renames them into place and
writes the manifest. A crash between two renames leaves tables the manifest does not name; `load`
reports them as `unvouched`, and the fetch repairs what they may lack (`kit/history/repair.py`)
instead of trusting their progress markers. Rows are kept sorted by their keys, so the same
history gives the same bytes however many fetches it took. A file that cannot be read is reported
with its path and what to do; nothing is overwritten.
"""

from __future__ import annotations

import fcntl
import gzip
import hashlib
import io
import json
import os
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from kit.errors import CacheError
from kit.history.locations import split_repo
from kit.history.schema import COLUMNS, KEYS, SCHEMA_VERSION, TABLES, typed

# Renamed into place in this order: a table that records progress (runs' `jobs_attempt`, jobs'
# `log_status`) after the tables it vouches for, so even without the manifest's check a crash
# between two renames leaves work to redo rather than a hole.
SAVE_ORDER = ("log_lines", "steps", "jobs", "runs")
LOCK_NAME = "fetch.lock"
TEMPORARY = ".codex-kit.tmp"  # the suffix of every file being written (kit.textfile uses it too)
_DELETE_STATE = "delete it and fetch again (the tables are kept; listings are asked for again in full)"


def cache_folder(root: Path, repo: str) -> Path:
    """`<root>/<owner>__<repo>`, lower-cased: GitHub's names are case-insensitive, so is the cache."""
    owner, name = split_repo(repo)
    return root / f"{owner}__{name}".lower()


def cached_repos(root: Path) -> list[str]:
    """The repositories (lower-cased OWNER/NAME) whose history folder is in `root`, sorted.

    The team report asks which repositories of an organisation are cached. GitHub owner names
    hold no underscore, so a folder name splits at its first `__`.
    """
    if not root.is_dir():
        return []
    found = []
    for folder in root.iterdir():
        owner, sep, name = folder.name.partition("__")
        if sep and owner and name and folder.is_dir() and (folder / "state.json").exists():
            found.append(f"{owner}/{name}")
    return sorted(found)


@dataclass
class History:
    """The four tables in memory."""

    runs: pd.DataFrame
    jobs: pd.DataFrame
    steps: pd.DataFrame
    log_lines: pd.DataFrame
    state: dict[str, Any] = field(default_factory=dict)
    unvouched: set[str] = field(default_factory=set)  # tables whose file is not the one the manifest names

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

    def __init__(self, folder: Path, lock_wait: float = 10.0) -> None:
        self.folder = folder
        self.lock_wait = lock_wait  # how long a second fetch waits for the first before refusing
        self.on_disk: dict[str, str] = {}  # table -> SHA-256 of its file as last read or written
        self.fresh = False  # the folder was made by this fetch (removed again if nothing is saved)

    # --- reading ------------------------------------------------------------------------------------
    def load(self) -> History:
        history = History.empty()
        self.on_disk = {}
        if not self.folder.exists():
            return history
        for name in KEYS:
            path = self.folder / f"{name}.parquet"
            if path.exists():
                raw = _read(path)
                self.on_disk[name] = hashlib.sha256(raw).hexdigest()
                setattr(history, name, typed(name, _table(path, raw, name)))
        state_path = self.folder / "state.json"
        if state_path.exists():
            history.state = _state(state_path)
        manifest = history.state.get("tables", {})
        history.unvouched = {
            name
            for name in KEYS
            if self.on_disk.get(name) != (manifest.get(name) or {}).get("sha256") and (name in self.on_disk or manifest)
        }
        return history

    def check_writable(self) -> None:
        """Say plainly, before a fetch spends a request, when the folder cannot be made or written.

        Nothing is created here: a fetch that then fails on its first request leaves no empty folders.
        """
        existing = self.folder
        while not os.path.exists(existing) and existing != existing.parent:  # False, not an error, when unreadable
            existing = existing.parent
        if not os.path.isdir(existing):
            raise CacheError(f"{self.folder}: cannot write the history cache there ({existing} is a file)")
        if not os.access(existing, os.W_OK | os.X_OK):
            raise CacheError(f"{self.folder}: cannot write the history cache there ({existing} is not writable)")

    # --- the lock -----------------------------------------------------------------------------------
    @contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the folder for one fetch; a second one waits `lock_wait` seconds, then refuses.

        `flock` belongs to the open file, so the kernel releases it when its holder dies however it
        dies: a lock left by a killed fetch is taken over at once. Temporary files such a fetch left
        behind are removed once the lock is held.
        """
        self.fresh = not self.folder.exists()
        made = [self.folder / "logs", self.folder, *(p for p in self.folder.parents if not p.exists())]
        self._make_folder()
        fd = self._acquire(self.folder / LOCK_NAME)
        try:
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
            self._remove_temporaries()
            yield
        finally:
            os.ftruncate(fd, 0)
            if self.fresh and not self.on_disk:  # nothing was saved into folders this fetch made: none is left
                (self.folder / LOCK_NAME).unlink(missing_ok=True)
                for empty in made:
                    if empty.is_dir() and not any(empty.iterdir()):
                        empty.rmdir()
            os.close(fd)

    def _acquire(self, path: Path) -> int:
        give_up = time.monotonic() + self.lock_wait
        while True:
            try:
                fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as err:
                raise CacheError(f"{path}: cannot take the fetch lock ({err.strerror or err})") from err
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
                os.close(fd)
                if time.monotonic() >= give_up:
                    raise CacheError(
                        f"another codex-kit fetch is writing {self.folder} (pid {holder}); wait for it to finish "
                        "(or stop it) and run this one again"
                    ) from None
                time.sleep(0.1)
                continue
            if path.exists() and os.fstat(fd).st_ino == path.stat().st_ino:
                return fd
            os.close(fd)  # the file was removed by the holder we waited for: lock the new one

    def _remove_temporaries(self) -> None:
        for folder in (self.folder, self.folder / "logs"):
            for leftover in folder.glob(f".*{TEMPORARY}"):
                leftover.unlink(missing_ok=True)

    def _make_folder(self) -> None:
        try:
            (self.folder / "logs").mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise CacheError(f"{self.folder}: cannot write the history cache there ({err.strerror or err})") from err

    # --- writing ------------------------------------------------------------------------------------
    def save(self, history: History) -> None:
        """Write the changed tables, then the manifest naming them all; on failure nothing is replaced."""
        self.check_writable()
        self._make_folder()
        staged: dict[str, tuple[Path, str]] = {}
        manifest: dict[str, dict[str, Any]] = {}
        try:
            for name in SAVE_ORDER:
                table = history.table(name).sort_values(KEYS[name]).reset_index(drop=True)
                setattr(history, name, table)
                buffer = io.BytesIO()
                pq.write_table(pa.Table.from_pandas(table, schema=TABLES[name], preserve_index=False), buffer)
                digest = hashlib.sha256(buffer.getbuffer()).hexdigest()
                manifest[name] = {"sha256": digest, "rows": len(table)}
                if self.on_disk.get(name) != digest:
                    staged[name] = (_stage(self.folder / f"{name}.parquet", [buffer.getvalue()]), digest)
            for name, (temporary, digest) in staged.items():
                os.replace(temporary, self.folder / f"{name}.parquet")
                self.on_disk[name] = digest
            state = {**history.state, "schema_version": SCHEMA_VERSION, "tables": manifest}
            text = json.dumps(state, indent=1, sort_keys=True).encode()
            os.replace(_stage(self.folder / "state.json", [text]), self.folder / "state.json")
        except OSError as err:
            raise CacheError(
                f"{self.folder}: cannot save the history cache ({err.strerror or err}); what it held before this save "
                "is kept; free some space or make the folder writable, and fetch again"
            ) from err
        finally:
            for temporary, _ in staged.values():
                temporary.unlink(missing_ok=True)
        history.state = state
        history.unvouched = set()

    def save_log(self, job_id: int, chunks: Iterable[bytes]) -> None:
        """Store a log compressed, from chunks (a log can be hundreds of megabytes: it is never held whole)."""
        target = self.folder / "logs" / f"{job_id}.log.gz"
        try:
            os.replace(_stage(target, chunks, compress=True), target)
        except OSError as err:
            raise CacheError(
                f"{target}: cannot store the log ({err.strerror or err}); the cache is as it was before it; free some "
                "space and fetch again"
            ) from err

    def log_path(self, job_id: int) -> Path:
        return self.folder / "logs" / f"{job_id}.log.gz"

    def spool(self) -> Any:
        """An anonymous file in the cache folder to download a log into: gone with the process, however it ends."""
        try:
            return tempfile.TemporaryFile(dir=self.folder)
        except OSError as err:
            raise CacheError(f"{self.folder}: cannot write the history cache there ({err.strerror or err})") from err


def _stage(path: Path, chunks: Iterable[bytes], compress: bool = False) -> Path:
    """Write `chunks` to a synced temporary file beside `path` (with `path`'s mode) and return its name."""
    mode = path.stat().st_mode & 0o7777 if path.exists() else 0o666 & ~_umask()
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMPORARY, dir=path.parent)
    temporary = Path(name)
    try:
        with os.fdopen(fd, "wb") as handle:
            sink = gzip.GzipFile(filename="", mode="wb", fileobj=handle, mtime=0) if compress else handle
            for chunk in chunks:
                sink.write(chunk)
            if compress:
                sink.close()
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return temporary


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as err:
        raise CacheError(f"{path}: cannot read it ({err.strerror or err})") from err


def _table(path: Path, raw: bytes, name: str) -> pd.DataFrame:
    try:
        table = pq.read_table(pa.BufferReader(raw)).to_pandas()
    except (OSError, pa.ArrowException) as err:
        raise CacheError(
            f"{path}: unreadable ({err}); the file is damaged (a truncated copy?). Delete it and run "
            "`codex-kit fetch` again to rebuild it; nothing else was changed"
        ) from err
    missing = set(COLUMNS[name]) - set(table.columns)
    if missing:
        raise CacheError(
            f"{path}: lacks columns {sorted(missing)}; it is not a codex-kit {name} table. Delete it and run "
            "`codex-kit fetch` again to rebuild it"
        )
    try:
        return typed(name, table)
    except (ValueError, TypeError) as err:
        raise CacheError(
            f"{path}: a column holds values of the wrong type ({err}); it is not a codex-kit {name} table. Delete it "
            "and run `codex-kit fetch` again to rebuild it"
        ) from err


def _state(path: Path) -> dict[str, Any]:
    """state.json, checked to be what codex-kit writes: a damaged one is named, never half-trusted."""
    try:
        state = json.loads(_read(path))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise CacheError(f"{path}: not valid JSON ({err}); {_DELETE_STATE}") from err
    if not isinstance(state, dict):
        raise CacheError(f"{path}: holds {type(state).__name__}, not a JSON object; {_DELETE_STATE}")
    if state.get("schema_version", SCHEMA_VERSION) != SCHEMA_VERSION:
        raise CacheError(f"{path}: written by another cache schema version; fetch into a new --cache")
    problem = _state_problem(state)
    if problem:
        raise CacheError(f"{path}: {problem}, not what codex-kit writes; {_DELETE_STATE}")
    return state


def _state_problem(state: dict[str, Any]) -> str | None:
    etags, coverage, tables = state.get("etags", {}), state.get("coverage", {}), state.get("tables", {})
    if not isinstance(etags, dict) or not all(
        isinstance(v, list) and len(v) == 2 and isinstance(v[0], str) and (v[1] is None or _ids(v[1]))
        for v in etags.values()
    ):
        return "`etags` is not a map of ETags to the ids they vouch for"
    if not isinstance(coverage, dict) or not all(
        isinstance(periods, list) and all(_period(p) for p in periods) for periods in coverage.values()
    ):
        return "`coverage` is not a map of workflows to periods"
    if not isinstance(tables, dict) or not all(
        isinstance(e, dict) and isinstance(e.get("sha256"), str) for e in tables.values()
    ):
        return "`tables` is not a map of tables to their SHA-256"
    if not isinstance(state.get("stopped", ""), str):
        return "`stopped` is not a message"
    return None


def _ids(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(i, int) and not isinstance(i, bool) for i in value)


def _period(value: Any) -> bool:
    if not (isinstance(value, list) and len(value) == 2 and isinstance(value[1], str)):
        return False
    try:
        for moment in value:
            if moment is not None:
                pd.Timestamp(moment)
    except (ValueError, TypeError):
        return False
    return True
