"""Where history lives when the user names no place: the user's cache folder, or the shipped sample.

Both the CLI and the report notebook need these defaults; defining them here (below both) keeps
the report from importing a command module or the sample generator for two constants.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from platformdirs import user_cache_dir

SAMPLE_REPO: Final = "acme/ledger"
SAMPLE_WORKFLOW: Final = "invariants.yml"
SAMPLE_ROOT: Final = Path(__file__).resolve().parents[2] / "data" / "sample"


def default_cache_root() -> Path:
    """The history cache of this user on this machine (platformdirs' cache folder)."""
    return Path(user_cache_dir("codex-kit")) / "history"


GITHUB_API_URL: Final = "https://api.github.com"
