"""Which repositories of an organisation run Codex, and which of their workflows: asked through ghapi.

A team fetch needs, for each repository, the workflow files that use `openai/codex-action`: in a
step of their own, or through a local composite action (`uses: ./.github/actions/review`) or a local
reusable workflow (`uses: ./.github/workflows/review.yml`) that does, at most four such hops away
(the caller is the workflow whose runs hold the Codex jobs). They are found with one request per 100
of the organisation's repositories (`GET /orgs/{org}/repos`, archived ones left out), one per
repository for its workflows (`GET /repos/{r}/actions/workflows`), one per workflow file for its text
(`GET /repos/{r}/contents/{path}`) and one or two per local action or reusable workflow a workflow
without a Codex step of its own names (`action.yml`, else `action.yaml`). Every one of them is
conditional: the ETags and what each answer said are kept (`Discovery.etags`), so a second
discovery of an unchanged organisation is answered 304 throughout and costs nothing against the
rate limit. A repository that cannot be read (403, 404) is one member with that note; the others
go on. Never a clone, never the code search API (its own, smaller rate limit).
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from typing import Any

from kit.errors import GitHubError
from kit.history.client import BudgetSpent, GitHubClient, Missing, RateLimited
from kit.history.locations import GITHUB_API_URL, split_repo
from kit.history.token import scrub
from kit.vocabulary import CODEX_ACTION, LOCAL_ACTION_FILES

WORKFLOWS_FOLDER = ".github/workflows/"
_USES_CODEX = re.compile(rf"^\s*(?:-\s*)?uses\s*:\s*[\"']?{re.escape(CODEX_ACTION)}@", re.IGNORECASE | re.MULTILINE)
# `uses: ./<path>`: a local action's folder or a local reusable workflow's file (a step's or a job's `uses:`).
_LOCAL_USES = re.compile(r"^\s*(?:-\s*)?uses\s*:\s*[\"']?\./([^\"'\s#]*)", re.IGNORECASE | re.MULTILINE)
_HOPS = 4  # local actions using local actions: a longer chain (or a loop) is not followed further
PER_PAGE = 100
# A discovery's files of one repository: (uses codex-action itself, the local files it uses), None when absent.
_Read = dict[str, tuple[bool, list[str]] | None]


@dataclass
class Found:
    """What discovery learnt of one repository: its Codex workflows, or why it has none to fetch."""

    repo: str
    workflows: list[str] = field(default_factory=list)  # file names, as the runs listing takes them
    problem: str = ""  # a request failed (403, 404, …): said on the repository's line and in its report row
    status: int | None = None  # the HTTP status of that failure, when GitHub answered one

    @property
    def uses_codex(self) -> bool:
        return bool(self.workflows)


@dataclass
class Discovery:
    repos: list[Found]
    requests: int  # REST requests that counted against the rate limit (304s do not)
    etags: dict[str, list[Any]]  # keep these for the next discovery: its answers are then 304s


def uses_codex(text: str) -> bool:
    """A workflow whose steps use openai/codex-action (`uses:` at any ref, in any quoting)."""
    return bool(_USES_CODEX.search(text))


def local_uses(text: str) -> list[str]:
    """The repository files a workflow or action's local `uses: ./…` lead to, in order: a reusable workflow's
    file as named, a local action's action files by preference. A path that climbs out (`..`) is never followed."""
    files: list[str] = []
    for found in _LOCAL_USES.finditer(text):
        ref = found.group(1).strip("/")
        if ".." in ref.split("/"):
            continue
        if ref.endswith((".yml", ".yaml")) and ref.startswith(WORKFLOWS_FOLDER):
            files.append(ref)
        else:
            files += [f"{ref}/{name}" if ref else name for name in LOCAL_ACTION_FILES]
    return list(dict.fromkeys(files))


class AccountClient(GitHubClient):
    """A client for an organisation's own endpoints: its errors name the organisation, not a repository."""

    def _explain(self, describe: str, status: int, message: str) -> str:
        said = f" (GitHub says: {message})" if message else ""
        if status == 404:
            return (
                f"{describe}: not found (404){said}; check the organisation's name (--org lists an organisation's "
                "repositories, not a user's) and that the token can see it"
            )
        if status == 403:
            return f"{describe}: forbidden (403){said}; the token needs to read {self.owner}'s repositories"
        return super()._explain(describe, status, message)


def _account_client(owner: str, api_url: str, token: str | None, budget: int | None) -> GitHubClient:
    """GitHubClient is made for one repository; the organisation's listing names none (its messages are ours)."""
    return AccountClient(f"{owner}/{owner}", api_url=api_url, token=token, budget=budget)


def org_repositories(client: GitHubClient, org: str) -> list[str]:
    """The organisation's repositories that are not archived, by name, 100 a page (each page conditional)."""
    names: list[str] = []
    page = 1
    while True:
        describe = f"the repositories of {org} page {page}"
        reply = client.call(
            describe, client.api.repos.list_for_org, org, etag_key=f"org|{org.lower()}|{page}",
            keep=lambda data, d=describe: _repo_names(d, data), per_page=PER_PAGE, page=page,
        )  # fmt: skip
        listed = reply.data if reply.status == 304 else _repo_names(describe, reply.data)
        names += listed[0]
        if listed[1] < PER_PAGE:
            return sorted(dict.fromkeys(names), key=str.lower)
        page += 1


def _repo_names(describe: str, data: Any) -> tuple[list[str], int]:
    """(names of the repositories not archived, how many the page listed): what a 304 stands for."""
    if not isinstance(data, list) or not all(isinstance(r, dict) and isinstance(r.get("full_name"), str) for r in data):
        raise GitHubError(f"{describe}: the answer is not a listing of repositories; is --api-url GitHub's API?")
    return [r["full_name"] for r in data if not r.get("archived") and not r.get("disabled")], len(data)


def codex_workflows(client: GitHubClient) -> list[str]:
    """The repository's workflow files (under .github/workflows) that use codex-action, by file name:
    in a step of their own or through the local actions and reusable workflows they use."""
    repo = client.repo.lower()
    describe = f"the workflows of {client.repo}"
    reply = client.call(
        describe, client.api.actions.list_repo_workflows, etag_key=f"workflows|{repo}",
        keep=lambda data: _workflow_paths(describe, data), per_page=PER_PAGE,
    )  # fmt: skip
    paths = reply.data if reply.status == 304 else _workflow_paths(describe, reply.data)
    read: _Read = {}
    return [path.rsplit("/", 1)[-1] for path in paths if _reaches_codex(client, path, read)]


def _reaches_codex(client: GitHubClient, path: str, read: _Read, hops: int = 0) -> bool:
    """Whether the file at `path` uses codex-action, itself or through the local files it uses."""
    said = _source(client, path, read, required=hops == 0)
    if said is None:
        return False
    direct, uses = said
    if direct:
        return True
    if hops >= _HOPS:
        return False
    followed: set[str] = set()  # a local action's folder: its first action file that exists is the one
    for used in uses:
        folder = used.rsplit("/", 1)[0] if used.endswith(LOCAL_ACTION_FILES) else used
        if folder in followed or _source(client, used, read, required=False) is None:
            continue
        followed.add(folder)
        if _reaches_codex(client, used, read, hops + 1):
            return True
    return False


def _source(client: GitHubClient, path: str, read: _Read, required: bool) -> tuple[bool, list[str]] | None:
    """(uses codex-action itself, the local files it uses) of a repository file, asked once a discovery;
    None for a file that is not there, unless `required` (a workflow GitHub listed: its absence is a problem)."""
    if path in read:
        return read[path]
    where = f"{path} of {client.repo}"
    try:
        reply = client.call(
            where, client.api.repos.get_content, path, etag_key=f"source|{client.repo.lower()}|{path}",
            keep=lambda data: _summary(where, data),
        )  # fmt: skip
    except Missing:
        if required:
            raise
        read[path] = None
        return None
    direct, uses = reply.data if reply.status == 304 else _summary(where, reply.data)
    read[path] = (bool(direct), [str(u) for u in uses])
    return read[path]


def _summary(describe: str, data: Any) -> list[Any]:
    """What a file's answer stands for on a later 304: [uses codex-action itself, the local files it uses]."""
    text = _file_text(describe, data)
    return [uses_codex(text), local_uses(text)]


def _workflow_paths(describe: str, data: Any) -> list[str]:
    items = data.get("workflows") if isinstance(data, dict) else None
    if not isinstance(items, list) or not all(isinstance(w, dict) for w in items):
        raise GitHubError(f"{describe}: the answer is not a `workflows` listing; is --api-url GitHub's API?")
    return sorted(
        w["path"] for w in items
        if isinstance(w.get("path"), str) and w["path"].startswith(WORKFLOWS_FOLDER) and w.get("state") == "active"
    )  # fmt: skip


def _file_text(describe: str, data: Any) -> str:
    if not isinstance(data, dict) or data.get("encoding") != "base64" or not isinstance(data.get("content"), str):
        raise GitHubError(f"{describe}: the answer is not a file's contents; is --api-url GitHub's API?")
    try:
        return base64.b64decode(data["content"]).decode("utf-8", errors="replace")
    except (binascii.Error, ValueError) as err:
        raise GitHubError(f"{describe}: the file's contents are not base64 ({err})") from err


def discover(
    repos: list[str],
    org: str | None = None,
    *,
    token: str | None = None,
    api_url: str = GITHUB_API_URL,
    etags: dict[str, list[Any]] | None = None,
    budget: int | None = None,
) -> Discovery:
    """The Codex workflows of `repos` and, with `org`, of every repository of `org` that is not archived.

    A repository GitHub will not show (403, 404) is kept with its problem; an organisation that
    cannot be listed, a spent rate limit or budget, stops the discovery (nothing was fetched yet).
    """
    # `file|` entries were an older codex-kit's summaries of workflow files (`source|` ones replace them): dropped.
    etags = {key: kept for key, kept in (etags or {}).items() if not key.startswith("file|")}
    spent = 0
    names = list(repos)
    if org:
        client = _account_client(org, api_url, token, budget)
        client.etags = etags
        try:
            names += org_repositories(client, org)
        finally:
            client.close()
        spent += client.stats.spent
    found = []
    for repo in dict.fromkeys(names):
        split_repo(repo)
        left = None if budget is None else budget - spent
        client = GitHubClient(repo, api_url=api_url, token=token, budget=left)
        client.etags = etags
        try:
            found.append(Found(repo, codex_workflows(client)))
        except (BudgetSpent, RateLimited):
            raise
        except GitHubError as err:
            said = scrub(str(err))  # GitHub's message can echo the token: never shown or stored
            found.append(Found(repo, problem=said, status=status_of(said)))
        finally:
            client.close()
            spent += client.stats.spent
    return Discovery(found, spent, etags)


_STATUS = re.compile(r"\((\d{3})\)")


def status_of(message: str) -> int | None:
    """The HTTP status a client message names (`forbidden (403)`), for a row that says "403: not fetched"."""
    found = _STATUS.search(message)
    return int(found.group(1)) if found else None
