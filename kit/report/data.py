"""What the notebook calls first: the history (fetched when asked) limited to the window of interest."""

from __future__ import annotations

from pathlib import Path

from kit.analysis.parameters import ReportParameters
from kit.errors import CacheError, UsageError
from kit.history.cache import History, HistoryCache, cache_folder
from kit.history.fetch import fetch_history
from kit.history.locations import SAMPLE_REPO, SAMPLE_ROOT, day_window, default_cache_root
from kit.history.migrate import migrate_root
from kit.history.schema import LogStatus
from kit.history.token import token_from_environment
from kit.taxonomy import load_taxonomy


def resolve_cache(params: ReportParameters) -> tuple[str, Path]:
    """(repo, cache root): no repo means the shipped sample history."""
    if not params.repo:
        return SAMPLE_REPO, SAMPLE_ROOT
    return params.repo, Path(params.cache_dir) if params.cache_dir else default_cache_root()


def check_inputs(params: ReportParameters) -> None:
    """What the arguments alone show to be wrong, found before the notebook starts (not inside it)."""
    day_window(params.since, params.until)
    if params.cache_dir and not params.repo:
        raise UsageError("--cache needs --repo (without --repo the report is on the shipped sample history)")
    if params.taxonomy:
        load_taxonomy(Path(params.taxonomy))  # a team's rules file that does not load is said now, by name
    repo, root = resolve_cache(params)
    if not params.fetch:
        migrate_root(root)  # a root an older codex-kit wrote is moved (and says so), never read as empty
        _require_cache(cache_folder(root, repo), repo, params)


def _require_cache(folder: Path, repo: str, params: ReportParameters) -> None:
    if not folder.exists():
        cache = f" --cache {params.cache_dir}" if params.cache_dir else ""
        raise CacheError(
            f"{folder}: no history cached for {repo}; run `codex-kit fetch --repo {repo}{cache}` first (or add --fetch)"
        )


def fetch_into(repo: str, root: Path, params: ReportParameters) -> str:
    """Refresh the cache (token from GITHUB_TOKEN/GH_TOKEN, never a parameter) and say what was done."""
    taxonomy = load_taxonomy(Path(params.taxonomy) if params.taxonomy else None)
    _, report = fetch_history(
        repo, params.workflow, root, token=token_from_environment(), since=params.since, until=params.until,
        api_url=params.api_url, progress=False, taxonomy=taxonomy,
    )  # fmt: skip
    return report.summary()


def load_history(repo: str, root: Path, params: ReportParameters) -> History:
    migrate_root(root)
    folder = cache_folder(root, repo)
    _require_cache(folder, repo, params)
    history = HistoryCache(folder).load()
    if "log_lines" in history.unvouched and history.log_lines.empty:
        # The kept lines are gone: the logs (and annotations) they came from count as not read, so their
        # failures are still counted (as no-log) and never judged on lines that are not there.
        read = history.jobs["log_status"].isin((LogStatus.FETCHED, LogStatus.ANNOTATED))
        history.jobs.loc[read, "log_status"] = LogStatus.PENDING.value
    runs = history.runs[history.runs["workflow"] == params.workflow]
    low, high = day_window(params.since, params.until)
    if low is not None:
        runs = runs[runs["created_at"] >= low]
    if high is not None:
        runs = runs[runs["created_at"] < high]
    keep = set(runs["run_id"])
    history.runs = runs.reset_index(drop=True)
    history.jobs = history.jobs[history.jobs["run_id"].isin(keep)].reset_index(drop=True)
    history.steps = history.steps[history.steps["run_id"].isin(keep)].reset_index(drop=True)
    history.log_lines = history.log_lines[history.log_lines["run_id"].isin(keep)].reset_index(drop=True)
    return history
