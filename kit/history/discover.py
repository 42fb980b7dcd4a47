"""Which repositories of an organisation run Codex, and which of their workflows: asked through ghapi.

A team fetch needs, for each repository, the workflow files that use `openai/codex-action`. They
are found with one request per 100 of the organisation's repositories (`GET /orgs/{org}/repos`,
archived ones left out), one per repository for its workflows (`GET /repos/{r}/actions/workflows`)
and one per workflow file for its text (`GET /repos/{r}/contents/{path}`). Every one of them is
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
from kit.history.client import BudgetSpent, GitHubClient, RateLimited
from kit.history.locations import GITHUB_API_URL, split_repo
from kit.history.token import scrub
from kit.vocabulary import CODEX_ACTION

WORKFLOWS_FOLDER = ".github/workflows/"
_USES_CODEX = re.compile(rf"^\s*(?:-\s*)?uses\s*:\s*[\"']?{re.escape(CODEX_ACTION)}@", re.IGNORECASE | re.MULTILINE)
PER_PAGE = 100


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
    """The repository's workflow files (under .github/workflows) that use codex-action, by file name."""
    repo = client.repo.lower()
    describe = f"the workflows of {client.repo}"
    reply = client.call(
        describe, client.api.actions.list_repo_workflows, etag_key=f"workflows|{repo}",
        keep=lambda data: _workflow_paths(describe, data), per_page=PER_PAGE,
    )  # fmt: skip
    paths = reply.data if reply.status == 304 else _workflow_paths(describe, reply.data)
    found = []
    for path in paths:
        where = f"{path} of {client.repo}"
        text = client.call(
            where, client.api.repos.get_content, path, etag_key=f"file|{repo}|{path}",
            keep=lambda data, w=where: uses_codex(_file_text(w, data)),
        )  # fmt: skip
        if text.data if text.status == 304 else uses_codex(_file_text(where, text.data)):
            found.append(path.rsplit("/", 1)[-1])
    return found


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
    etags = dict(etags or {})
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
