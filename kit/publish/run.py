"""`publish`: put a finished report where the team looks, each chosen target on its own.

Every target is tried even when another failed (a refused Pages site does not keep the tracking
issue from being updated); the failures are raised together afterwards as one GitHubError, after
the successes, so a run says exactly what was and was not published. The report folder is only
read: whatever GitHub answers, the report stays as it was written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from kit.errors import GitHubError, UsageError
from kit.history.locations import GITHUB_API_URL, split_repo
from kit.publish import comment, issue, pages
from kit.publish.client import PublishClient
from kit.publish.folder import ReportFolder, read_report_folder
from kit.publish.result import Failed, Published

# What each target's requests need, in a workflow's `permissions:` terms.
NEEDS = {
    issue.TARGET: "issues: write",
    pages.TARGET: "contents: write, pages: write",
    comment.TARGET: "pull-requests: write",
}


@dataclass
class PublishOutcome:
    folder: ReportFolder
    published: list[Published] = field(default_factory=list)
    failed: list[Failed] = field(default_factory=list)


def publish_report(
    out_dir: Path, *, token: str | None, repo: str = "", issue_tracker: bool = False, site: bool = False,
    pr: int | None = None, api_url: str = GITHUB_API_URL, sleep: Callable[[float], None] | None = None,
) -> PublishOutcome:  # fmt: skip
    """Publish the report in `out_dir` to `repo` (default: the repository the report is about)."""
    if not (issue_tracker or site or pr):
        raise UsageError("nothing to publish: choose --issue, --pages and/or --pr N")
    if pr is not None and pr < 1:
        raise UsageError(f"--pr must be a pull request number, got {pr}")
    if not token:
        raise UsageError("publishing writes to GitHub: set GITHUB_TOKEN or GH_TOKEN (it is read from there only)")
    folder = read_report_folder(out_dir)
    if folder.team and not repo:
        raise UsageError(f"{out_dir} holds a team report: give --repo OWNER/REPO, the repository to publish it in")
    target_repo = repo or folder.repo
    split_repo(target_repo)
    if folder.team:  # the team's issue and comment are about the team, kept in the repository it is published to
        folder = replace(folder, report={**folder.report, "repo": target_repo})
    outcome = PublishOutcome(folder)
    chosen: list[tuple[str, Callable[[PublishClient], Published]]] = []
    if issue_tracker:
        chosen.append((issue.TARGET, lambda c: issue.publish_issue(c, folder)))
    if site:
        chosen.append((pages.TARGET, lambda c: pages.publish_pages(c, folder)))
    if pr:
        chosen.append((comment.TARGET, lambda c: comment.publish_comment(c, folder, pr)))
    for target, publish in chosen:
        client = PublishClient(target_repo, api_url, token, needs=NEEDS[target])
        if sleep is not None:
            client.sleep = sleep
        try:
            outcome.published.append(publish(client))
        except GitHubError as err:
            outcome.failed.append(Failed(target, str(err)))
        finally:
            client.close()
    return outcome


def raise_failures(outcome: PublishOutcome) -> None:
    """One error naming every target that failed (the report itself was written before and stays)."""
    if outcome.failed:
        said = "; ".join(f"{f.target}: {f.message}" for f in outcome.failed)
        raise GitHubError(f"publishing failed ({said}); the report in {outcome.folder.path} is unchanged")
