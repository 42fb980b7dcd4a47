"""The GitHub token: read from the environment only, never from an argument, never printed.

A token given as an argument would land in shell history, process listings and papermill's
injected-parameters cell; the environment is where CI puts secrets anyway.
"""

from __future__ import annotations

import os
import re
from typing import Final

from kit.errors import UsageError

TOKEN_VARIABLES: Final = ("GITHUB_TOKEN", "GH_TOKEN")


_PRINTABLE = re.compile(r"[\x21-\x7e]+")  # no whitespace, control or non-ASCII character is part of a token


def token_from_environment() -> str | None:
    """The API token from GITHUB_TOKEN or GH_TOKEN (the first that is set and not blank), checked once.

    A token with a newline or a control character would end up in an "illegal header" error that
    echoes it; refusing it here, without showing it, is the only safe place.
    """
    for name in TOKEN_VARIABLES:
        value = os.environ.get(name, "").strip()
        if value:
            return check_token(value, name)
    return None


def check_token(value: str, name: str) -> str:
    """`value` when it can be a token; otherwise a `UsageError` that names `name` and never shows the value.

    Called before any request is built: httpx would refuse the header with a message that quotes it.
    """
    if not _PRINTABLE.fullmatch(value):
        raise UsageError(
            f"{name} holds characters a GitHub token cannot have (whitespace, control or non-ASCII "
            "characters); set it again from the token's page"
        )
    return value


def scrub(text: str) -> str:
    """`text` with every token found in the environment replaced by `***`, before it is shown or stored."""
    for name in TOKEN_VARIABLES:
        value = os.environ.get(name, "").strip()
        if len(value) >= 4:
            text = text.replace(value, "***")
    return text
