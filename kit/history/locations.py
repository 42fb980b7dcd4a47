"""Where history lives when the user names no place: the user's cache folder, or the shipped sample.

Both the CLI and the report notebook need these defaults; defining them here (below both) keeps
the report from importing a command module or the sample generator for two constants. The sample
is package data (`kit.data`, the checkout's top-level `data/` folder), found with importlib.resources:
never a path computed from this file, which points nowhere useful in an installed wheel.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Final

import pandas as pd
from platformdirs import user_cache_dir

from kit.errors import UsageError

SAMPLE_REPO: Final = "acme/ledger"
SAMPLE_WORKFLOW: Final = "invariants.yml"
SAMPLE_ROOT: Final = Path(str(resources.files("kit.data").joinpath("sample")))


def default_cache_root() -> Path:
    """The history cache of this user on this machine (platformdirs' cache folder)."""
    return Path(user_cache_dir("codex-kit")) / "history"


GITHUB_API_URL: Final = "https://api.github.com"
_REPO = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")


def split_repo(repo: str) -> tuple[str, str]:
    """(owner, name) of an OWNER/REPO argument; anything else (a path, `..`) is the user's to fix."""
    if not _REPO.fullmatch(repo) or ".." in repo.split("/"):
        raise UsageError(f"--repo must be OWNER/REPO (letters, digits, '-', '_', '.'), got {repo!r}")
    owner, name = repo.split("/")
    return owner, name


def day_window(since: str | None, until: str | None) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """[since, until] as UTC instants, `until` taken as a whole day; the one reading of --since/--until."""
    try:
        low = pd.Timestamp(since, tz="UTC") if since else None
        high = pd.Timestamp(until, tz="UTC") + pd.Timedelta(days=1) if until else None
    except ValueError as err:
        raise UsageError(f"--since/--until must be dates (YYYY-MM-DD): {err}") from err
    return low, high
