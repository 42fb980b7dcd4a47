"""Many repositories in one fetch: discovery, then each repository's fetch as a single one does it.

Each repository's history goes into its own cache folder through the same `Fetcher` a single
fetch uses, so each is resumable on its own and a second team fetch costs what a refresh of each
costs (a few 304s). What is shared is the budget (`--budget N`: each repository gets what the ones
before it left) and one progress bar over the repositories. A repository GitHub refuses (403, 404,
a broken answer) is reported on its own line and the others go on; a spent budget or rate limit
stops the team there, every repository after it marked as not fetched, since they would fail the
same way. How each ended is kept in the team record (`kit/history/teamrecord.py`) for the report.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from kit.errors import CacheError, GitHubError, UsageError
from kit.history import layout
from kit.history.cache import HistoryCache, cache_folder, cached_repos, read_state
from kit.history.client import GitHubClient, RateLimited, RequestStats
from kit.history.discover import Discovery, Found, discover, status_of
from kit.history.estimate import estimate
from kit.history.fetch import fetch_history
from kit.history.locations import FETCH_APIS, GITHUB_API_URL, split_repo
from kit.history.tables import Recognise
from kit.history.teamrecord import Outcome, RepoEntry, read_record, write_record
from kit.history.token import scrub
from kit.taxonomy import Taxonomy


@dataclass(frozen=True)
class Team:
    """The repositories a team command is about: named ones, an organisation's, or both."""

    repos: tuple[str, ...] = ()
    org: str | None = None
    workflow: str | None = None  # None: each repository's workflows that use codex-action (discovered)

    def needs_discovery(self) -> bool:
        return self.org is not None or self.workflow is None


@dataclass
class RepoFetch:
    """One repository's part of a team fetch, as its line says it."""

    repo: str
    workflows: list[str]
    outcome: str
    message: str = ""
    status: int | None = None
    summaries: list[str] = field(default_factory=list)  # one per workflow fetched
    requests: int = 0
    points: int = 0  # GraphQL points
    stops_team: bool = False  # a spent budget or rate limit: the repositories after it are not fetched


@dataclass
class TeamFetch:
    repos: list[RepoFetch]
    discovery_requests: int

    @property
    def failed(self) -> list[RepoFetch]:
        return [r for r in self.repos if r.outcome in (Outcome.FAILED, Outcome.NOT_FETCHED)]

    @property
    def requests(self) -> int:
        return self.discovery_requests + sum(r.requests for r in self.repos)


def read_repos_file(path: Path) -> list[str]:
    """OWNER/NAME a line; blank lines and `#` comments (whole-line or trailing) are skipped; checked here."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise UsageError(f"--repos-file {path}: cannot read it ({getattr(err, 'strerror', None) or err})") from err
    repos = []
    for number, line in enumerate(text.splitlines(), 1):
        name = line.split("#", 1)[0].strip()
        if not name:
            continue
        try:
            split_repo(name)
        except UsageError as err:
            raise UsageError(f"--repos-file {path} line {number}: {err}") from err
        repos.append(name)
    return repos


def discovery_cost(team: Team) -> str:
    """What discovery will ask, said before it asks (its size is known only once the org is listed)."""
    parts = [f"1 request per 100 repositories of {team.org}"] if team.org else []
    parts += ["1 per repository (its workflows), 1 per workflow file (its text) and 1 or 2 per local action or "
              "reusable workflow a workflow without a Codex step of its own uses"]  # fmt: skip
    return f"discovery: {', '.join(parts)}; answers unchanged since the last team fetch are 304s, free"


def discover_team(team: Team, root: Path, *, token: str | None, api_url: str, budget: int | None) -> Discovery:
    """The team's repositories with the workflows to fetch (discovered unless `--workflow` names one)."""
    record = read_record(root)
    if not team.needs_discovery():
        return Discovery([Found(repo, [team.workflow or ""]) for repo in dict.fromkeys(team.repos)], 0, {})
    found = discover(list(team.repos), team.org, token=token, api_url=api_url, etags=record.etags, budget=budget)
    record.etags = found.etags
    if team.org:
        named = {r.lower() for r in team.repos}
        record.orgs[team.org.lower()] = [f.repo for f in found.repos if f.repo.lower() not in named]
    for repo in found.repos:
        if team.workflow and repo.uses_codex:
            repo.workflows = [team.workflow]
    write_record(root, record)
    return found


def fetch_team(
    team: Team,
    root: Path,
    *,
    token: str | None = None,
    since: str | None = None,
    until: str | None = None,
    api_url: str = GITHUB_API_URL,
    max_wait: float = 900.0,
    recognise: Recognise | None = None,
    taxonomy: Taxonomy | None = None,
    api: str = FETCH_APIS[0],
    budget: int | None = None,
    progress: bool | None = None,
    on_repo: Callable[[RepoFetch], None] | None = None,
) -> TeamFetch:
    """Discover (when needed) and fetch every repository of `team` into `root`; how each ended.

    `on_repo` is told of each repository as it ends (the CLI prints its line). Nothing here raises
    for one repository's failure; a discovery that cannot list the organisation does.
    """
    discovery = discover_team(team, root, token=token, api_url=api_url, budget=budget)
    members = discovery.repos
    spent = discovery.requests  # the larger of requests and points spent: --budget N bounds each by N
    pairs = sum(max(len(m.workflows), 1) for m in members)
    show = sys.stderr.isatty() if progress is None else progress
    bar = tqdm(total=pairs, desc="repositories", unit="workflow", disable=not show or pairs < 2)
    results: list[RepoFetch] = []
    stopped = ""
    try:
        for member in members:
            if stopped:
                result = RepoFetch(member.repo, member.workflows, Outcome.NOT_FETCHED, stopped)
            else:
                options = dict(since=since, until=until, max_wait=max_wait, recognise=recognise, taxonomy=taxonomy,
                               api=api)  # fmt: skip
                left = None if budget is None else budget - spent
                result = _fetch_member(member, root, token, api_url, left, options)
                spent += max(result.requests, result.points)
                if result.stops_team:
                    stopped = f"not fetched: the team fetch stopped at {member.repo} ({_first(result.message)})"
            results.append(result)
            bar.update(max(len(member.workflows), 1))
            if on_repo:
                on_repo(result)
    finally:
        bar.close()
        _remember(root, results)
    return TeamFetch(results, discovery.requests)


def _fetch_member(
    member: Found, root: Path, token: str | None, api_url: str, budget: int | None, options: dict[str, Any]
) -> RepoFetch:
    if member.problem:
        return RepoFetch(member.repo, [], Outcome.FAILED, member.problem, member.status)
    if not member.uses_codex:
        return RepoFetch(member.repo, [], Outcome.NO_CODEX, "no workflow uses openai/codex-action")
    result = RepoFetch(member.repo, member.workflows, Outcome.FETCHED)
    for workflow in member.workflows:
        left = None if budget is None else budget - max(result.requests, result.points)
        stats = RequestStats()
        try:
            _, report = fetch_history(member.repo, workflow, root, token=token, api_url=api_url, budget=left,
                                      progress=False, stats=stats, **options)  # fmt: skip
        except (GitHubError, CacheError) as err:
            result.outcome, result.message = Outcome.FAILED, scrub(f"{workflow}: {err}")
            result.status = status_of(str(err))
            result.requests, result.points = result.requests + stats.spent, result.points + stats.points
            result.stops_team = isinstance(err, RateLimited)  # the budget or the hour is spent for all of them
            return result
        result.requests, result.points = result.requests + stats.spent, result.points + stats.points
        result.summaries.append(f"{workflow}: {report.summary()}")
    return result


def _first(message: str) -> str:
    return message.split("; ")[0]


def _remember(root: Path, results: list[RepoFetch]) -> None:
    """Keep how each repository's fetch ended, for the team report (a failure leaves no history folder)."""
    if not results:
        return
    record = read_record(root)
    for r in results:
        record.note(RepoEntry(r.repo, r.workflows, r.outcome, r.message, r.status))
    write_record(root, record)


def team_members(team: Team, root: Path, *, token: str | None, api_url: str) -> list[RepoEntry]:
    """The repositories a team report covers, with what the last team fetch said of each.

    Named repositories as given; an organisation's are discovered again with a token (the list is
    then current) or, without one, read from the record and the cache root (offline).
    """
    record = read_record(root)
    if team.org and token:
        discover_team(Team(team.repos, team.org, team.workflow), root, token=token, api_url=api_url, budget=None)
        record = read_record(root)
    names = list(team.repos)
    if team.org:
        owner = team.org.lower()
        names += record.orgs.get(owner, [])
        names += [r for r in cached_repos(root) if r.split("/")[0] == owner]
    entries: dict[str, RepoEntry] = {}
    for name in names:
        if name.lower() in entries:
            continue
        known = record.entry(name)
        entry = RepoEntry(**asdict(known)) if known else RepoEntry(name, outcome="")
        if team.workflow:
            entry.workflows = [team.workflow] if entry.outcome != Outcome.NO_CODEX else []
        elif not entry.workflows and entry.outcome != Outcome.NO_CODEX:
            entry.workflows = cached_workflows(root, name)
        entries[name.lower()] = entry
    return sorted(entries.values(), key=lambda e: e.repo.lower())


def cached_workflows(root: Path, repo: str) -> list[str]:
    """The workflows a repository's cache holds history of (the fetches it has seen)."""
    path = cache_folder(root, repo) / layout.STATE
    if not path.exists():
        return []
    state = read_state(path)  # the state alone: the tables are not needed to know what was fetched
    return sorted((state.get("coverage") or {}).keys())


def estimate_team(
    team: Team, root: Path, *, token: str | None, api_url: str = GITHUB_API_URL, api: str = FETCH_APIS[0]
) -> list[str]:
    """Discovery (done: it is what tells what to fetch) and each repository's fetch cost, as lines."""
    discovery = discover_team(team, root, token=token, api_url=api_url, budget=None)
    lines = [f"discovery: {discovery.requests} requests for {len(discovery.repos)} repositories (spent)"]
    requests = points = 0
    for member in discovery.repos:
        if member.problem or not member.uses_codex:
            lines.append(f"{member.repo}: {_first(member.problem) if member.problem else 'no Codex workflow'}")
            continue
        for workflow in member.workflows:
            client = GitHubClient(member.repo, api_url=api_url, token=token)
            try:
                cost = estimate(client, HistoryCache(cache_folder(root, member.repo)), workflow, api)
            except GitHubError as err:
                lines.append(f"{member.repo} {workflow}: {_first(scrub(str(err)))}")
                continue
            finally:
                client.close()
            requests, points = requests + cost.requests, points + cost.points
            lines.append(f"{member.repo} {workflow}: {cost.text()}")
    lines.append(f"total: about {requests} REST requests and {points} GraphQL points for the fetch, after discovery")
    return lines
