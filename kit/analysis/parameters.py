"""The report's parameters, defined once: the CLI's flags, the notebook's papermill parameters and
the criteria's thresholds are all read from this dataclass.

A token is deliberately not a field: papermill writes parameters into the executed notebook in
plain text, so a fetch inside the report reads it from the environment instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

from kit.errors import UsageError
from kit.history.locations import GITHUB_API_URL, SAMPLE_WORKFLOW


@dataclass(frozen=True)
class ReportParameters:
    """What one report is about and how strictly it judges; every default a user sees is here."""

    repo: str = ""  # OWNER/REPO; empty: the shipped sample history
    workflow: str = SAMPLE_WORKFLOW  # the workflow file the report is about
    cache_dir: str = ""  # the cache root (absolute); empty: the user cache dir
    since: str | None = None  # only runs created on or after this date
    until: str | None = None  # only runs created on or before this date
    cutover: str | None = None  # a date or a commit SHA; None: detect the first hardened run
    fetch: bool = False  # refresh the cache from GitHub first (token from the environment)
    api_url: str = GITHUB_API_URL  # GitHub's API (Enterprise, tests)
    min_runs: int = 20  # fewer observations than this: NOT ENOUGH DATA
    unknown_share: float = 0.05  # the largest acceptable share of unnamed Codex failures (0..1)
    taxonomy: str = ""  # a team's extra rules (YAML, absolute path), tried before the shipped ones
    message_share: float = 0.95  # the smallest acceptable share of Codex failures with the kit's message (0..1)
    out_dir: str = "report"  # where the notebook writes report.json and summary.md

    def __post_init__(self) -> None:
        if self.min_runs < 1:
            raise UsageError(f"--min-runs must be at least 1, got {self.min_runs}")
        for name in ("unknown_share", "message_share"):
            value = getattr(self, name)
            if not 0 <= value <= 1:
                flag = "--" + name.replace("_", "-")
                raise UsageError(f"{flag} is a fraction from 0 to 1 (5% is 0.05), got {value}")

    @classmethod
    def names(cls) -> list[str]:
        return [field.name for field in fields(cls)]

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> ReportParameters:
        """The parameters found in `values` (a notebook's globals, say); absent or None takes the default."""
        given = {name: values[name] for name in cls.names() if values.get(name) is not None}
        return cls(**given)

    def to_notebook(self) -> dict[str, Any]:
        """The values papermill injects (plain data; never a secret)."""
        return asdict(self)
