"""What one publishing target did, for `kit.console` to print and for the CLI's exit code."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Published:
    target: str  # "tracking issue", "GitHub Pages", "PR comment"
    action: str  # created | updated | unchanged
    where: str  # a number and URL a person can follow
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Failed:
    target: str
    message: str
