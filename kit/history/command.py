"""`codex-kit fetch`: read the token from the environment, run a fetch, print a one-line summary."""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

from platformdirs import user_cache_dir

from kit.history.cache import CacheError, HistoryCache, cache_folder
from kit.history.client import GitHubClient, GitHubError
from kit.history.fetch import Fetcher
from kit.history.tables import Recognise

TOKEN_VARIABLES = ("GITHUB_TOKEN", "GH_TOKEN")


def token_from_environment() -> str | None:
    """The API token, from GITHUB_TOKEN or GH_TOKEN; never from an argument, never printed."""
    for name in TOKEN_VARIABLES:
        value = os.environ.get(name, "").strip()
        if value:
            return value
    return None


def default_cache_root() -> Path:
    return Path(user_cache_dir("codex-kit")) / "history"


def run_fetch(args: argparse.Namespace) -> int:
    token = token_from_environment()
    if token is None:
        print(
            "codex-kit: no GITHUB_TOKEN or GH_TOKEN in the environment; fetching unauthenticated "
            "(public repositories only, 60 requests an hour)",
            file=sys.stderr,
        )
    root = Path(args.cache) if args.cache else default_cache_root()
    try:
        recognise = Recognise(re.compile(args.codex_step_pattern, re.I), re.compile(args.db_job_pattern, re.I))
    except re.error as err:
        print(f"codex-kit: a --*-pattern is not a valid regular expression: {err}", file=sys.stderr)
        return 2
    try:
        client = GitHubClient(args.repo, api_url=args.api_url, token=token, max_wait=args.max_wait)
        folder = HistoryCache(cache_folder(root, args.repo))
        fetcher = Fetcher(client, folder, args.workflow, args.since, args.until, recognise=recognise)
        report = fetcher.run()
    except (GitHubError, CacheError, ValueError) as err:
        print(f"codex-kit: {err}", file=sys.stderr)
        return 2
    print(f"fetched {args.repo} {args.workflow} into {cache_folder(root, args.repo)}: {report.summary()}")
    return 0
