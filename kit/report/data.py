"""What the notebook calls first: the history (fetched when asked) limited to the window of interest."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from kit.history.cache import History, HistoryCache, cache_folder
from kit.sample import REPO as SAMPLE_REPO
from kit.sample import SAMPLE_DIR


def resolve_cache(repo: str | None, cache_dir: str | None) -> tuple[str, Path]:
    """(repo, cache root): no repo means the shipped sample history."""
    if not repo:
        return SAMPLE_REPO, SAMPLE_DIR
    if cache_dir:
        return repo, Path(cache_dir)
    from kit.history.command import default_cache_root

    return repo, default_cache_root()


def fetch_into(repo: str, root: Path, workflow: str, api_url: str, since: str | None, until: str | None) -> str:
    """Refresh the cache (token from GITHUB_TOKEN/GH_TOKEN, never a parameter) and say what was done."""
    from kit.history.client import GitHubClient
    from kit.history.command import token_from_environment
    from kit.history.fetch import Fetcher

    client = GitHubClient(repo, api_url=api_url, token=token_from_environment())
    report = Fetcher(client, HistoryCache(cache_folder(root, repo)), workflow, since, until, progress=False).run()
    return report.summary()


def load_history(repo: str, root: Path, workflow: str, since: str | None, until: str | None) -> History:
    folder = cache_folder(root, repo)
    if not folder.exists():
        raise FileNotFoundError(f"{folder}: no history cached for {repo}; run `codex-kit fetch --repo {repo}` first")
    history = HistoryCache(folder).load()
    runs = history.runs[history.runs["workflow"] == workflow]
    if since:
        runs = runs[runs["created_at"] >= pd.Timestamp(since, tz="UTC")]
    if until:
        runs = runs[runs["created_at"] < pd.Timestamp(until, tz="UTC") + pd.Timedelta(days=1)]
    keep = set(runs["run_id"])
    history.runs = runs.reset_index(drop=True)
    history.jobs = history.jobs[history.jobs["run_id"].isin(keep)].reset_index(drop=True)
    history.steps = history.steps[history.steps["run_id"].isin(keep)].reset_index(drop=True)
    history.log_lines = history.log_lines[history.log_lines["run_id"].isin(keep)].reset_index(drop=True)
    return history
