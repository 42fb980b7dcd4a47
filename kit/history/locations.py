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
from urllib.parse import urlsplit

import pandas as pd
from platformdirs import user_cache_dir

from kit.errors import UsageError

FETCH_APIS: Final = ("graphql", "rest")  # how a fetch asks for jobs; the first is the default
SAMPLE_REPO: Final = "acme/ledger"
SAMPLE_WORKFLOW: Final = "invariants.yml"
SAMPLE_ROOT: Final = Path(str(resources.files("kit.data").joinpath("sample")))


def default_cache_root() -> Path:
    """The history cache of this user on this machine (platformdirs' cache folder)."""
    return Path(user_cache_dir("codex-kit")) / "history"


GITHUB_API_URL: Final = "https://api.github.com"
_API_PATH = "/api/v3"  # GitHub Enterprise Server serves its API under the web host


def web_root(api_url: str) -> str:
    """The `https://host/` that GitHub's own pages for this API live under (github.com for
    api.github.com, the same host for an Enterprise `https://host/api/v3`).

    The report links only to pages under it: a URL column in a cache is data someone else wrote,
    and a `javascript:` or look-alike link in a shared dashboard must never be clickable.
    """
    parsed = urlsplit(api_url.strip())
    host = (parsed.hostname or "").lower()
    if host == "api.github.com":
        host = "github.com"
    elif host.startswith("api.") and not parsed.path.rstrip("/").endswith(_API_PATH):
        host = host.removeprefix("api.")  # GitHub Enterprise Cloud with data residency: api.<name>.ghe.com
    port = f":{parsed.port}" if parsed.port and parsed.port != 443 else ""
    return f"https://{host}{port}/"


def is_web_link(url: str, root: str) -> bool:
    """An https page under `root`, with nothing in it that could end an HTML attribute or a Markdown link."""
    return url.startswith(root) and not any(c in url for c in "\"'<>`()[] \t\r\n\\")


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
