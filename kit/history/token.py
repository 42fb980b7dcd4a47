"""The GitHub token: read from the environment only, never from an argument, never printed.

A token given as an argument would land in shell history, process listings and papermill's
injected-parameters cell; the environment is where CI puts secrets anyway.
"""

from __future__ import annotations

import os
from typing import Final

TOKEN_VARIABLES: Final = ("GITHUB_TOKEN", "GH_TOKEN")


def token_from_environment() -> str | None:
    """The API token from GITHUB_TOKEN or GH_TOKEN (the first that is set and not blank)."""
    for name in TOKEN_VARIABLES:
        value = os.environ.get(name, "").strip()
        if value:
            return value
    return None
