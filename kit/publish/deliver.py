"""`codex-kit patch --pr`: the hardening of many repositories, one pull request each.

The repositories are named one by one or listed from an organisation (archived ones skipped: nothing
can be pushed there). Each is read, patched and delivered on its own (`kit.publish.harden`): one that
answers 403, 404 or 5xx is reported on its line with the permission it needs, and the others go on.
The failures are raised together afterwards, after every line is printed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from kit.errors import GitHubError, KitError, UsageError
from kit.history.locations import GITHUB_API_URL, split_repo
from kit.publish.client import PublishClient
from kit.publish.harden import FAILED, Delivery, deliver
from kit.publish.remote import repository

# What a pull request that changes workflow files takes: GitHub refuses a commit that touches
# `.github/workflows/` from a token without the workflows permission (a classic token: the `workflow`
# scope), and Actions' own GITHUB_TOKEN can never have it.
NEEDS = "contents: write, pull-requests: write, workflows: write"
ARCHIVED = "skipped (archived)"


@dataclass
class PatchDeliveries:
    """Every repository's delivery, in the order they were named or listed."""

    dry_run: bool
    deliveries: list[Delivery] = field(default_factory=list)

    @property
    def failed(self) -> list[Delivery]:
        return [d for d in self.deliveries if d.action == FAILED]

    @property
    def refused(self) -> bool:
        return any(d.result is not None and d.result.refused for d in self.deliveries)


class _OrgClient(PublishClient):
    """The client that lists an organisation's repositories: its errors name the organisation."""

    org: str = ""

    def _explain(self, describe: str, status: int, message: str) -> str:
        said = f" (GitHub says: {message})" if message else ""
        if status in (403, 404):
            return (
                f"{describe}: {'forbidden' if status == 403 else 'not found'} ({status}){said}; check that the "
                f"organisation {self.org} exists and that the token can read its repositories (`metadata: read`)"
            )
        return super()._explain(describe, status, message)


class _PullClient(PublishClient):
    """The client of one repository's delivery: a refusal to change workflow files says what it takes."""

    def _explain(self, describe: str, status: int, message: str) -> str:
        said = super()._explain(describe, status, message)
        if "workflow" in message.lower() and "permission" in message.lower():
            said += (
                "; changing workflow files needs a token with the workflows permission (a fine-grained token or "
                "app: `workflows: write`; a classic token: the `workflow` scope); Actions' GITHUB_TOKEN cannot"
            )
        return said


def org_repositories(org: str, *, token: str | None, api_url: str) -> list[dict]:
    """`GET /orgs/{org}/repos`, every page."""
    client = _OrgClient(f"{org}/{org}", api_url, token)
    client.org = org
    try:
        return list(client.listing(f"the repositories of {org}", client.api.repos.list_for_org, org, type="all"))
    finally:
        client.close()


def deliver_patches(
    repos: list[str], *, org: str | None = None, token: str | None, api_url: str = GITHUB_API_URL,
    dry_run: bool = False, sleep: Callable[[float], None] | None = None,
) -> PatchDeliveries:  # fmt: skip
    """Harden each repository (those named, then the organisation's) through a pull request of its own."""
    if not repos and not org:
        raise UsageError("name the repositories to patch: --pr OWNER/REPO (repeatable) and/or --org ORG")
    if not token and not dry_run:
        raise UsageError("opening pull requests writes to GitHub: set GITHUB_TOKEN or GH_TOKEN (read from there only)")
    for repo in repos:
        _checked(repo, "--pr", "OWNER/REPO")
    if org:
        _checked(f"{org}/x", "--org", "an organisation's name")
    wanted: dict[str, dict | None] = {repo.lower(): None for repo in repos}
    named = {repo.lower(): repo for repo in repos}
    if org:
        for listed in org_repositories(org, token=token, api_url=api_url):
            name = str(listed.get("full_name", ""))
            named.setdefault(name.lower(), name)
            wanted[name.lower()] = listed
    outcome = PatchDeliveries(dry_run)
    for key, listed in wanted.items():
        outcome.deliveries.append(_one(named[key], listed, token, api_url, dry_run, sleep))
    return outcome


def _one(
    repo: str, listed: dict | None, token: str | None, api_url: str, dry_run: bool,
    sleep: Callable[[float], None] | None,
) -> Delivery:  # fmt: skip
    client = _PullClient(repo, api_url, token, needs=NEEDS)
    if sleep is not None:
        client.sleep = sleep
    try:
        info = listed or repository(client)
        if info.get("archived"):
            return Delivery(repo, ARCHIVED)
        return deliver(client, str(info.get("default_branch") or "main"), dry_run)
    except KitError as err:  # this repository's failure, reported on its line; the others go on
        return Delivery(repo, FAILED, error=str(err))
    finally:
        client.close()


def _checked(name: str, flag: str, what: str) -> None:
    """The same rule for a repository's (and an owner's) name as everywhere, said with this command's flag."""
    try:
        split_repo(name)
    except UsageError as err:
        raise UsageError(
            f"{flag} must be {what} (letters, digits, '-', '_', '.'), got {name.removesuffix('/x')!r}"
        ) from err


def raise_failures(outcome: PatchDeliveries) -> None:
    """One error naming every repository that failed (the others were delivered, and printed, before)."""
    if outcome.failed:
        names = ", ".join(d.repo for d in outcome.failed)
        raise GitHubError(f"{len(outcome.failed)} of {len(outcome.deliveries)} repositories failed: {names}")
