"""A cache root's files as tests look at them: one repository's `HistoryCache`, its partition files and state.

The cache is one dataset per root (`kit/history/layout.py`), so a test names a root and a
repository, never a folder of its own making.
"""

from __future__ import annotations

from pathlib import Path

from kit.history import layout
from kit.history.cache import HistoryCache, cache_folder
from tests.support.history_builder import REPO


def repo_cache(root: Path, repo: str = REPO, **kwargs) -> HistoryCache:
    return HistoryCache(cache_folder(root, repo), **kwargs)


def state_folder(root: Path, repo: str = REPO) -> Path:
    """`<root>/_repos/<owner>__<name>`: state.json, logs/, fetch.lock."""
    return cache_folder(root, repo)


def table_path(root: Path, table: str, repo: str = REPO) -> Path:
    return layout.table_file(root, table, layout.repo_slug(repo))


def table_files(root: Path) -> dict[str, bytes]:
    """Every partition file of the root, by its path under the root (`runs/repo=octo__app/part-0.parquet`)."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.glob("*/repo=*/*.parquet"))}
