"""Move a cache root written by an older codex-kit (one folder per repository) into the dataset layout.

Version 1 kept `<root>/<owner>__<name>/{runs,jobs,steps,log_lines}.parquet` beside `state.json`,
`logs/` and `fetch.lock`, with the base repository in the runs' `repo` column (now the partition
column, so renamed `base_repo`). A fetch or a report moves such a root before it reads it, one
repository at a time and each move resumable, and says on stderr what moved; a folder that cannot
be moved is refused with the reason, never read as an empty history.

One move, under the old folder's own `fetch.lock` (so neither an old nor a new fetch writes it
meanwhile): every old file is read and converted in memory first (a damaged one refuses the move
with nothing changed); the folder is renamed to `<root>/_repos/<owner>__<name>/` in one step (its
state, logs and lock go with it); the converted tables are written to their partitions; the
manifest of schema version 2 is written (from here on the new layout is the truth); the old table
files are removed. A crash anywhere leaves either the old folder as it was or a state folder still
holding old table files beside a version 1 manifest, which the next move finishes from the start.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from kit.errors import CacheError
from kit.history import layout
from kit.history.cache import acquire, read_bytes, read_state, stage, staged_description, table_bytes
from kit.history.schema import COLUMNS, KEYS, SCHEMA_VERSION, typed

OLD_VERSION = 1
RENAMED = {"runs": {"repo": "base_repo"}}  # version 1 columns under their version 2 names
LOCK_WAIT = 10.0


def _stderr(message: str) -> None:
    print(message, file=sys.stderr)


def migrate_root(root: Path, say: Callable[[str], None] = _stderr) -> list[str]:
    """Move every repository of `root` still in the older layout; the slugs moved (each said through `say`)."""
    moved = []
    for slug in older_repos(root):
        said = migrate_repo(root, slug)
        if said is not None:  # None: another codex-kit moved it meanwhile
            say(said)
            moved.append(slug)
    return moved


def older_repos(root: Path) -> list[str]:
    """Slugs of the folders in the older layout, or whose move was cut short, in `root`."""
    if not root.is_dir():
        return []
    found = {p.name for p in root.iterdir() if _is_older_folder(p)}
    states = root / layout.REPOS
    if states.is_dir():
        found |= {p.name for p in states.iterdir() if p.is_dir() and any(_old_tables(p))}
    return sorted(found)


def _is_older_folder(path: Path) -> bool:
    if not path.is_dir() or "__" not in path.name or path.name.startswith((".", "_")):
        return False
    markers = [layout.STATE, layout.LOGS, layout.LOCK, *(f"{name}.parquet" for name in KEYS)]
    return any((path / marker).exists() for marker in markers)


def _old_tables(folder: Path) -> list[Path]:
    return [folder / f"{name}.parquet" for name in KEYS if (folder / f"{name}.parquet").exists()]


def migrate_repo(root: Path, slug: str) -> str | None:
    """Move one repository (or finish its move); a sentence saying what moved, None if another process did."""
    old, new = root / slug, layout.state_folder(root, slug)
    source = old if old.exists() else new
    if source is old:
        _refuse_a_second_history(old, new)
    try:
        fd = acquire(source / layout.LOCK, LOCK_WAIT)
    except CacheError as err:
        if not source.exists():  # renamed by another codex-kit's move while this one waited for it
            return None
        raise CacheError(f"{_cannot(old)}: {err}; nothing was moved") from err
    if fd is None:
        raise CacheError(f"{_cannot(old)}: a codex-kit fetch is writing it; wait for it to finish and run again")
    try:
        if source is new and not _old_tables(new):  # another codex-kit finished it while this one waited
            return None
        if source is new and _version(new / layout.STATE) == SCHEMA_VERSION:  # cut short after its manifest
            _write(root, slug, new, None, {})
            return f"codex-kit: finished moving the history of {layout.slug_repo(slug)} into the dataset layout"
        state, tables = _convert(source)
        if source is old:
            _move(old, new)
        _write(root, slug, new, state, tables)
    finally:
        os.close(fd)
    written = ", ".join(str(layout.table_file(root, name, slug)) for name in tables) or "no tables"
    return (
        f"codex-kit: moved the history of {layout.slug_repo(slug)} into the dataset layout (schema version "
        f"{SCHEMA_VERSION}): {written}; its state.json and logs are in {new}"
    )


def _cannot(old: Path) -> str:
    return f"{old}: cannot move this history of an older codex-kit into the dataset layout"


def _refuse_a_second_history(old: Path, new: Path) -> None:
    """Both layouts hold the repository (an old copy restored beside a new fetch): the user picks one."""
    if not new.exists():
        return
    left = [p for p in new.rglob("*") if p.is_file() and p.name != layout.LOCK]
    if left:
        raise CacheError(
            f"{_cannot(old)}: {new} already holds that repository's history in the new layout; keep one: remove "
            f"{old}, or remove {new} and that repository's partition files, then run again"
        )
    for folder in sorted((p for p in new.rglob("*") if p.is_dir()), reverse=True):
        folder.rmdir()
    (new / layout.LOCK).unlink(missing_ok=True)
    new.rmdir()


def _convert(folder: Path) -> tuple[dict[str, Any], dict[str, bytes]]:
    """The state to write and each table's new file bytes, all read before anything moves."""
    state_path = folder / layout.STATE
    state = read_state(state_path, OLD_VERSION) if state_path.exists() else {}
    old_manifest = state.get("tables", {})
    manifest: dict[str, dict[str, Any]] = {}
    tables: dict[str, bytes] = {}
    for name in KEYS:
        path = folder / f"{name}.parquet"
        raw = read_bytes(path) if path.exists() else None
        vouched = (hashlib.sha256(raw).hexdigest() if raw is not None else None) == (old_manifest.get(name) or {}).get(
            "sha256"
        ) or (raw is None and not old_manifest)
        if raw is not None:
            frame = _old_table(path, raw, name).sort_values(KEYS[name]).reset_index(drop=True)
            tables[name] = table_bytes(name, frame)
            if vouched:
                manifest[name] = {"sha256": hashlib.sha256(tables[name]).hexdigest(), "rows": len(frame)}
        if not vouched:  # the older manifest did not vouch for it: neither does the new one, so the fetch repairs
            manifest[name] = {"sha256": "not vouched for by the manifest it was moved with", "rows": 0}
    return {**state, "schema_version": SCHEMA_VERSION, "tables": manifest}, tables


def _old_table(path: Path, raw: bytes, name: str) -> pd.DataFrame:
    fix = "delete it (`codex-kit fetch` fetches it again) and run again; nothing was moved"
    try:
        frame = pq.read_table(pa.BufferReader(raw)).to_pandas().rename(columns=RENAMED.get(name, {}))
    except (OSError, pa.ArrowException) as err:
        raise CacheError(f"{path}: unreadable ({err}), so it cannot be moved into the dataset layout; {fix}") from err
    missing = set(COLUMNS[name]) - set(frame.columns)
    if missing:
        raise CacheError(f"{path}: lacks columns {sorted(missing)}; it is not a codex-kit {name} table; {fix}")
    try:
        return typed(name, frame)
    except (ValueError, TypeError) as err:
        raise CacheError(f"{path}: a column holds values of the wrong type ({err}); {fix}") from err


def _move(old: Path, new: Path) -> None:
    try:
        new.parent.mkdir(parents=True, exist_ok=True)
        os.rename(old, new)
    except OSError as err:
        raise CacheError(f"{_cannot(old)} ({err.strerror or err}); nothing was moved; make the cache writable") from err


def _version(path: Path) -> Any:
    try:
        return json.loads(path.read_bytes()).get("schema_version", OLD_VERSION)
    except (OSError, ValueError, AttributeError):
        return None


def _write(root: Path, slug: str, new: Path, state: dict[str, Any] | None, tables: dict[str, bytes]) -> None:
    """The partitions, then the manifest (the new layout holds from here), then the old tables are removed."""
    try:
        for name, raw in tables.items():
            target = layout.table_file(root, name, slug)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(stage(target, [raw]), target)
        for temporary, target in staged_description(root, new):
            os.replace(temporary, target)
        if state is not None:
            text = json.dumps(state, indent=1, sort_keys=True).encode()
            os.replace(stage(new / layout.STATE, [text]), new / layout.STATE)
        for path in _old_tables(new):
            path.unlink()
    except OSError as err:
        raise CacheError(
            f"{new}: cannot finish moving it into the dataset layout ({err.strerror or err}); its older tables are "
            "kept there and the next fetch or report finishes the move"
        ) from err
