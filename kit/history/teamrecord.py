"""What the last team fetch learnt of each repository, kept in the cache root for the team report.

A repository whose fetch failed (403, 404), or that has no Codex workflow, leaves no history
folder: without this record the team report could only say "nothing cached". The record keeps,
per repository, the Codex workflows discovery found, how its last fetch ended and why, and the
organisations' member lists and the discovery's ETags (so a second discovery is answered 304).

It is one JSON file, `_team.json`, beside the repositories' folders: the leading underscore keeps
it out of what pyarrow.dataset, DuckDB or Spark read as the history dataset. Written atomically; a
message from GitHub is scrubbed of the token before it is stored. It never holds the history.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from kit.errors import CacheError
from kit.history.token import scrub
from kit.textfile import write_atomic

RECORD_NAME = "_team.json"
RECORD_VERSION = 1


class Outcome:
    """How a repository's last team fetch ended (the `outcome` of its record entry)."""

    FETCHED = "fetched"  # every Codex workflow's history was fetched
    FAILED = "failed"  # GitHub refused or failed (the message and status say how)
    NO_CODEX = "no-codex"  # no workflow of the repository uses openai/codex-action
    NOT_FETCHED = "not-fetched"  # the budget or the rate limit ran out before its turn


@dataclass
class RepoEntry:
    repo: str
    workflows: list[str] = field(default_factory=list)
    outcome: str = Outcome.NOT_FETCHED
    message: str = ""
    status: int | None = None


@dataclass
class TeamRecord:
    repos: dict[str, RepoEntry] = field(default_factory=dict)  # keyed by lower-cased OWNER/NAME
    orgs: dict[str, list[str]] = field(default_factory=dict)  # lower-cased org -> its repositories (not archived)
    etags: dict[str, list[Any]] = field(default_factory=dict)  # discovery's conditional requests

    def entry(self, repo: str) -> RepoEntry | None:
        return self.repos.get(repo.lower())

    def note(self, entry: RepoEntry) -> None:
        entry.message = scrub(entry.message)
        self.repos[entry.repo.lower()] = entry


def read_record(root: Path) -> TeamRecord:
    """The record in `root`; none yet is an empty one. A damaged one is named, never half-trusted."""
    path = root / RECORD_NAME
    if not path.exists():
        return TeamRecord()
    try:
        data = json.loads(path.read_bytes())
        if data.get("version") != RECORD_VERSION:
            raise ValueError(f"version {data.get('version')!r}, not {RECORD_VERSION}")
        repos = {key: RepoEntry(**value) for key, value in data["repos"].items()}
        orgs = {str(k): [str(r) for r in v] for k, v in data["orgs"].items()}
        return TeamRecord(repos, orgs, dict(data["etags"]))
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:
        raise CacheError(
            f"{path}: not the record a team fetch writes ({err}); delete it and run the team fetch again "
            "(the repositories' histories are not in it and are kept)"
        ) from err


def write_record(root: Path, record: TeamRecord) -> None:
    data = {
        "version": RECORD_VERSION,
        "repos": {key: asdict(entry) for key, entry in sorted(record.repos.items())},
        "orgs": dict(sorted(record.orgs.items())),
        "etags": record.etags,
    }
    try:
        root.mkdir(parents=True, exist_ok=True)
        write_atomic(root / RECORD_NAME, json.dumps(data, indent=1, sort_keys=True).encode())
    except OSError as err:
        raise CacheError(f"{root / RECORD_NAME}: cannot write the team record ({err.strerror or err})") from err
