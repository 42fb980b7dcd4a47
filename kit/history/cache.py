"""The local history cache: one Parquet dataset per cache root, written so a crash cannot break it.

Layout (paths in `kit/history/layout.py`, the tables' columns in `kit/history/schema.py`):

- `<root>/runs/repo=<owner>__<name>/part-0.parquet` — one row per workflow run (latest attempt).
- `<root>/jobs/repo=…/part-0.parquet` — one row per job *attempt* (jobs?filter=all).
- `<root>/steps/repo=…/part-0.parquet` — the steps of each stored job.
- `<root>/log_lines/repo=…/part-0.parquet` — the lines of fetched logs worth classifying.
- `<root>/_dataset.json` — the dataset described for other readers (tables, columns, partitioning, version).
- `<root>/_repos/<owner>__<name>/` — one repository's state, which no query engine reads:
  `state.json` (the manifest: the SHA-256 of each of its partition files (`tables`), ETags, the
  periods of each workflow it holds completely (`coverage`) and why the last fetch stopped; written
  last, so it only ever names files that were completely written), `logs/<job_id>.log.gz` (the raw
  logs, kept because GitHub deletes them after 90 days) and `fetch.lock` (held by the one fetch
  writing that repository).

`HistoryCache` works on one repository and is named by its state folder (`cache_folder`). A save
first writes every changed file to a temporary name (that is where a full disk or a read-only
folder shows up, and then nothing has been replaced), then renames the tables into place and the
manifest last. A crash between two renames leaves tables the manifest does not name; `load`
reports them as `unvouched`, and the fetch repairs what they may lack (`kit/history/repair.py`)
instead of trusting their progress markers. Rows are kept sorted by their keys, so the same
history gives the same bytes however many fetches it took. A file that cannot be read is reported
with its path and what to do; nothing is overwritten. A root in the layout of an older codex-kit
is never read as empty: `kit/history/migrate.py` moves it, and until then `load` refuses.
"""

from __future__ import annotations

import fcntl
import gzip
import hashlib
import io
import json
import os
import tempfile
import threading
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
from kit.history import layout
from kit.history.dataset import describe_dataset
from kit.history.schema import COLUMNS, KEYS, SCHEMA_VERSION, VERSION_KEY, file_schema, typed

# Renamed into place in this order: a table that records progress (runs' `jobs_attempt`, jobs'
# `log_status`) after the tables it vouches for, so even without the manifest's check a crash
# between two renames leaves work to redo rather than a hole.
SAVE_ORDER = ("log_lines", "steps", "jobs", "runs")
LOCK_NAME = layout.LOCK
TEMPORARY = ".codex-kit.tmp"  # the suffix of every file being written (kit.textfile uses it too)
_DELETE_STATE = "delete it and fetch again (the tables are kept; listings are asked for again in full)"


def cache_folder(root: Path, repo: str) -> Path:
    """`<root>/_repos/<owner>__<name>`: the repository's state folder, which names it to `HistoryCache`."""
    return layout.state_folder(root, layout.repo_slug(repo))


def cached_repos(root: Path) -> list[str]:
    """OWNER/REPO (lower-cased) of every repository the cache root holds anything of, sorted."""
    return [layout.slug_repo(slug) for slug in layout.repos_in(root)]


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
    """Reads and writes one repository's share of a cache root, named by its state folder (`cache_folder`)."""

    def __init__(self, folder: Path, lock_wait: float = 10.0) -> None:
        if folder.parent.name != layout.REPOS:
            raise ValueError(f"{folder}: not a repository's state folder (<root>/{layout.REPOS}/<owner>__<name>)")
        self.folder = folder
        self.root = folder.parent.parent
        self.slug = folder.name
        self.lock_wait = lock_wait  # how long a second fetch waits for the first before refusing
        self.on_disk: dict[str, str] = {}  # table -> SHA-256 of its file as last read or written
        self.fresh = False  # the folder was made by this fetch (removed again if nothing is saved)

    def table_path(self, name: str) -> Path:
        return layout.table_file(self.root, name, self.slug)

    def _targets(self) -> list[Path]:
        """Every folder a save writes into: the state folder, then each table's partition."""
        return [self.folder, *(layout.partition_folder(self.root, name, self.slug) for name in SAVE_ORDER)]

    # --- reading ------------------------------------------------------------------------------------
    def load(self) -> History:
        self.refuse_older_layout()
        self.on_disk = {}
        tables: dict[str, pd.DataFrame] = {}
        for name in KEYS:
            path = self.table_path(name)
            if path.exists():
                raw = read_bytes(path)
                self.on_disk[name] = hashlib.sha256(raw).hexdigest()
                tables[name] = _table(path, raw, name)  # typed as it is read
            else:
                tables[name] = typed(name, pd.DataFrame())
        history = History(**tables)
        state_path = self.folder / layout.STATE
        if state_path.exists():
            history.state = read_state(state_path)
        manifest = history.state.get("tables", {})
        history.unvouched = {
            name
            for name in KEYS
            if self.on_disk.get(name) != (manifest.get(name) or {}).get("sha256") and (name in self.on_disk or manifest)
        }
        return history

    def refuse_older_layout(self) -> None:
        """A repository an older codex-kit wrote (or whose move was cut short) is never read as if it were empty."""
        older = [self.root / self.slug, *(self.folder / f"{name}.parquet" for name in KEYS)]
        for path in older:
            if path.exists():
                raise CacheError(
                    f"{path}: the history of {layout.slug_repo(self.slug)} is in an older codex-kit's layout; run "
                    "`codex-kit fetch` or `codex-kit report` once to move it into the dataset layout"
                )

    def check_writable(self) -> None:
        """Say plainly, before a fetch spends a request, when the folders cannot be made or written.

        Nothing is created here: a fetch that then fails on its first request leaves no empty folders.
        """
        for target in self._targets():
            existing = target
            while not os.path.exists(existing) and existing != existing.parent:  # False, not an error, when unreadable
                existing = existing.parent
            if not os.path.isdir(existing):
                raise CacheError(f"{self.folder}: cannot write the history cache there ({existing} is a file)")
            if not os.access(existing, os.W_OK | os.X_OK):
                raise CacheError(f"{self.folder}: cannot write the history cache there ({existing} is not writable)")

    # --- the lock -----------------------------------------------------------------------------------
    @contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the repository for one fetch; a second one waits `lock_wait` seconds, then refuses.

        `flock` belongs to the open file, so the kernel releases it when its holder dies however it
        dies: a lock left by a killed fetch is taken over at once. Temporary files such a fetch left
        behind are removed once the lock is held.
        """
        self.fresh = not self.folder.exists()
        made = [self.folder / layout.LOGS, self.folder, *(p for p in self.folder.parents if not p.exists())]
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
        fd = acquire(path, self.lock_wait)
        if fd is None:
            raise CacheError(
                f"another codex-kit fetch is writing {self.folder} (pid {_holder(path)}); wait for it to finish "
                "(or stop it) and run this one again"
            )
        return fd

    def _remove_temporaries(self) -> None:
        for folder in (*self._targets(), self.folder / layout.LOGS):
            if folder.is_dir():
                for leftover in folder.glob(f".*{TEMPORARY}"):
                    leftover.unlink(missing_ok=True)

    def _make_folder(self) -> None:
        try:
            (self.folder / layout.LOGS).mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise CacheError(f"{self.folder}: cannot write the history cache there ({err.strerror or err})") from err

    # --- writing ------------------------------------------------------------------------------------
    def save(self, history: History) -> None:
        """Write the changed tables, then the manifest naming them all; on failure nothing is replaced."""
        self.check_writable()
        self._make_folder()
        staged: dict[str, tuple[Path, str]] = {}
        manifest: dict[str, dict[str, Any]] = {}
        extra: list[tuple[Path, Path]] = []  # (temporary, target) renamed after the tables: the manifest last
        try:
            for name in SAVE_ORDER:
                table = history.table(name).sort_values(KEYS[name]).reset_index(drop=True)
                setattr(history, name, table)
                raw = table_bytes(name, table)
                digest = hashlib.sha256(raw).hexdigest()
                manifest[name] = {"sha256": digest, "rows": len(table)}
                if self.on_disk.get(name) != digest:
                    target = self.table_path(name)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    staged[name] = (stage(target, [raw]), digest)
            extra.extend(staged_description(self.root, self.folder))
            state = {**history.state, "schema_version": SCHEMA_VERSION, "tables": manifest}
            text = json.dumps(state, indent=1, sort_keys=True).encode()
            extra.append((stage(self.folder / layout.STATE, [text]), self.folder / layout.STATE))
            for name, (temporary, digest) in staged.items():
                os.replace(temporary, self.table_path(name))
                self.on_disk[name] = digest
            for temporary, target in extra:
                os.replace(temporary, target)
        except OSError as err:
            raise CacheError(
                f"{self.folder}: cannot save the history cache ({err.strerror or err}); what it held before this save "
                "is kept; free some space or make the folder writable, and fetch again"
            ) from err
        finally:
            for temporary, _ in [*staged.values(), *extra]:
                temporary.unlink(missing_ok=True)
        history.state = state
        history.unvouched = set()

    def save_log(self, job_id: int, chunks: Iterable[bytes]) -> None:
        """Store a log compressed, from chunks (a log can be hundreds of megabytes: it is never held whole)."""
        target = self.log_path(job_id)
        try:
            os.replace(stage(target, chunks, compress=True), target)
        except OSError as err:
            raise CacheError(
                f"{target}: cannot store the log ({err.strerror or err}); the cache is as it was before it; free some "
                "space and fetch again"
            ) from err

    def log_path(self, job_id: int) -> Path:
        return self.folder / layout.LOGS / f"{job_id}.log.gz"

    def spool(self) -> Any:
        """An anonymous file in the cache folder to download a log into: gone with the process, however it ends."""
        try:
            return tempfile.TemporaryFile(dir=self.folder)
        except OSError as err:
            raise CacheError(f"{self.folder}: cannot write the history cache there ({err.strerror or err})") from err


def table_bytes(name: str, table: pd.DataFrame) -> bytes:
    """Table `name` as the bytes of its Parquet file, its schema version in the file's metadata."""
    arrow = pa.Table.from_pandas(table, schema=file_schema(name), preserve_index=False)
    arrow = arrow.replace_schema_metadata({**(arrow.schema.metadata or {}), **file_schema(name).metadata})
    buffer = io.BytesIO()
    pq.write_table(arrow, buffer)
    return buffer.getvalue()


def staged_description(root: Path, folder: Path) -> list[tuple[Path, Path]]:
    """`_dataset.json`, staged only when it is missing or says something else (another version wrote it).

    It is staged in the repository's own state `folder`, which only the holder of its lock cleans up:
    fetches of other repositories in the same root never remove it from under this one.
    """
    target = root / layout.DESCRIPTION
    text = (json.dumps(describe_dataset(), indent=1, sort_keys=True) + "\n").encode()
    try:
        if target.read_bytes() == text:
            return []
    except OSError:
        pass
    return [(stage(target, [text], folder=folder), target)]


def acquire(path: Path, wait: float) -> int | None:
    """An open descriptor of `path` holding its flock, or None when another holds it for `wait` seconds."""
    give_up = time.monotonic() + wait
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as err:
            raise CacheError(f"{path}: cannot take the fetch lock ({err.strerror or err})") from err
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            if time.monotonic() >= give_up:
                return None
            time.sleep(0.1)
            continue
        if path.exists() and os.fstat(fd).st_ino == path.stat().st_ino:
            return fd
        os.close(fd)  # the file was removed (or moved) by the holder we waited for: lock the new one


def _holder(path: Path) -> str:
    try:
        return path.read_text("ascii", "replace").strip() or "unknown"
    except OSError:
        return "unknown"


def stage(path: Path, chunks: Iterable[bytes], compress: bool = False, folder: Path | None = None) -> Path:
    """Write `chunks` to a synced temporary file beside `path` (or in `folder`, on the same file system), with
    `path`'s mode, and return its name."""
    mode = path.stat().st_mode & 0o7777 if path.exists() else 0o666 & ~_umask()
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMPORARY, dir=folder or path.parent)
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


_UMASK_READ = threading.Lock()  # logs are stored from several threads: none may see the 0 set for a moment


def _umask() -> int:
    with _UMASK_READ:
        mask = os.umask(0)
        os.umask(mask)
    return mask


def read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as err:
        raise CacheError(f"{path}: cannot read it ({err.strerror or err})") from err


def _table(path: Path, raw: bytes, name: str) -> pd.DataFrame:
    try:
        arrow = pq.read_table(pa.BufferReader(raw))
        table = arrow.to_pandas()
    except (OSError, pa.ArrowException) as err:
        raise CacheError(
            f"{path}: unreadable ({err}); the file is damaged (a truncated copy?). Delete it and run "
            "`codex-kit fetch` again to rebuild it; nothing else was changed"
        ) from err
    version = (arrow.schema.metadata or {}).get(VERSION_KEY, b"none").decode("ascii", "replace")
    if version != str(SCHEMA_VERSION):
        raise CacheError(
            f"{path}: written with cache schema version {version}, not {SCHEMA_VERSION}; it is not a codex-kit {name} "
            "table of this version. Delete it and run `codex-kit fetch` again to rebuild it"
        )
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


def read_state(path: Path, version: int = SCHEMA_VERSION) -> dict[str, Any]:
    """state.json of schema `version`, checked to be what codex-kit writes: a damaged one is named, not trusted."""
    try:
        state = json.loads(read_bytes(path))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise CacheError(f"{path}: not valid JSON ({err}); {_DELETE_STATE}") from err
    if not isinstance(state, dict):
        raise CacheError(f"{path}: holds {type(state).__name__}, not a JSON object; {_DELETE_STATE}")
    if state.get("schema_version", version) != version:
        raise CacheError(f"{path}: written by another cache schema version; fetch into a new --cache")
    problem = state_problem(state)
    if problem:
        raise CacheError(f"{path}: {problem}, not what codex-kit writes; {_DELETE_STATE}")
    return state


def state_problem(state: dict[str, Any]) -> str | None:
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
