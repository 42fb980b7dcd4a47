"""The one family of errors a user can act on, and the exit code each kind maps to.

The library raises a `KitError` subclass when the user's input, files or environment are wrong
(a bad argument, a file the patch will not edit, an API that refuses, a damaged cache); the CLI
turns it into one line on stderr and the exit code below, in one place. Anything that is *not* a
`KitError` is a bug in codex-kit and must surface as one, never be shown as the user's mistake,
so no module catches a bare `ValueError` or `Exception` to re-label it.
"""

from __future__ import annotations

from typing import ClassVar

EXIT_OK = 0
EXIT_FINDING = 1  # `patch --check` has work to do; a report criterion FAILed
EXIT_INPUT = 2  # the user's input or environment is wrong (argparse usage errors included)
EXIT_REFUSED = 3  # the patch refused a file (left byte-for-byte as it was); the others were still patched
EXIT_INTERRUPTED = 130  # Ctrl-C


class KitError(Exception):
    """Something the user can fix; the message says what and where (file, line, URL)."""

    kind: ClassVar[str] = "error"
    exit_code: ClassVar[int] = EXIT_INPUT


class UsageError(KitError):
    """An argument or a configuration value is not usable as given."""

    kind = "usage"


class RefusedFile(KitError):
    """The patch will not edit a file safely; the file is left byte-for-byte as it was."""

    kind = "refused"
    exit_code = EXIT_REFUSED


class GitHubError(KitError):
    """GitHub answered with an error, or could not be reached, in a way retrying will not fix."""

    kind = "github"


class CacheError(KitError):
    """The history cache cannot be read or written as it is; the message names the file and the way out."""

    kind = "cache"


class ReportError(KitError):
    """The report could not be produced."""

    kind = "report"
