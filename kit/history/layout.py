"""Where each file of a cache root lives: one hive-partitioned Parquet dataset beside each repository's state.

    <root>/_dataset.json                                  what the dataset holds (tables, columns, version)
    <root>/<table>/repo=<owner>__<name>/part-0.parquet    runs, jobs, steps, log_lines: one file per repository
    <root>/_repos/<owner>__<name>/state.json              the manifest (SHA-256 of each partition file), ETags, coverage
    <root>/_repos/<owner>__<name>/logs/<job_id>.log.gz    the raw logs
    <root>/_repos/<owner>__<name>/fetch.lock              held by the one fetch writing that repository

pyarrow.dataset, DuckDB, Spark and Trino skip names that start with `_` or `.` (the staged
`.…codex-kit.tmp` files included), so `<root>/<table>` is a dataset as it stands. Only paths are
decided here; nothing is read or written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from kit.history.locations import split_repo
from kit.history.schema import PARTITION, TABLES

REPOS: Final = "_repos"
DESCRIPTION: Final = "_dataset.json"
PART: Final = "part-0.parquet"
STATE: Final = "state.json"
LOCK: Final = "fetch.lock"
LOGS: Final = "logs"


def repo_slug(repo: str) -> str:
    """`owner__name`, lower-cased: GitHub's names are case-insensitive, so is the cache."""
    owner, name = split_repo(repo)
    return f"{owner}__{name}".lower()


def slug_repo(slug: str) -> str:
    """OWNER/REPO of a slug (lower-cased): owners hold no `_`, so the first `__` is the separator."""
    owner, _, name = slug.partition("__")
    return f"{owner}/{name}"


def state_folder(root: Path, slug: str) -> Path:
    return root / REPOS / slug


def partition_folder(root: Path, table: str, slug: str) -> Path:
    return root / table / f"{PARTITION}={slug}"


def table_file(root: Path, table: str, slug: str) -> Path:
    return partition_folder(root, table, slug) / PART


def table_name(table: str, repo: str) -> str:
    """`<table>/repo=<owner>__<name>/part-0.parquet`: how a message names a repository's table file."""
    return f"{table}/{PARTITION}={repo_slug(repo)}/{PART}"


def repos_in(root: Path) -> list[str]:
    """The slugs of every repository with a state folder or a partition in `root`, sorted."""
    found = {p.name for p in (root / REPOS).iterdir() if p.is_dir()} if (root / REPOS).is_dir() else set()
    prefix = f"{PARTITION}="
    for table in TABLES:
        if (root / table).is_dir():
            found |= {p.name.removeprefix(prefix) for p in (root / table).iterdir() if p.name.startswith(prefix)}
    return sorted(slug for slug in found if "__" in slug and not slug.startswith((".", "_")))
