"""The hidden markers by which a published issue or comment is found again.

An HTML comment is invisible in the rendered Markdown and survives edits to the text around it. It
names the report's repository (lower-cased: GitHub's names ignore case) and workflow, so two
schedules reporting on two workflows keep two issues, and one never rewrites the other's.
"""

from __future__ import annotations

from typing import Final

TRACKING_ISSUE: Final = "tracking-issue"
PR_COMMENT: Final = "pr-comment"
HARDEN_PR: Final = "harden-pr"  # the pull request `codex-kit patch --pr` opens and keeps up to date
MAX_BODY: Final = 65_536  # GitHub refuses an issue or comment body longer than this (characters)


def marker(kind: str, repo: str, workflow: str) -> str:
    return f"<!-- codex-kit:{kind} repo={repo.lower()} workflow={workflow} -->"


def harden_marker(repo: str) -> str:
    """The marker of a repository's hardening pull request: one per repository, whatever its workflows."""
    return f"<!-- codex-kit:{HARDEN_PR} repo={repo.lower()} -->"


def marked_body(mark: str, summary: str, footer: str) -> str:
    """The marker, the report's summary and a footer, cut to GitHub's limit with a line saying so."""
    body = f"{mark}\n{summary.rstrip()}\n\n{footer}\n"
    if len(body) <= MAX_BODY:
        return body
    cut = "\n\n_(cut to GitHub's size limit: the full summary is in the report's summary.md)_\n\n"
    room = MAX_BODY - len(mark) - len(footer) - len(cut) - 2
    return f"{mark}\n{summary[:room]}{cut}{footer}\n"


def carries(body: str | None, mark: str) -> bool:
    return mark in (body or "")
