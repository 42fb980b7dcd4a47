"""One tracking issue per repository and workflow, its body replaced by the latest summary each run.

Found again by its hidden marker among all the repository's issues, open and closed, most recently
updated first (a weekly issue is on the first page, so one request usually finds it); created only
when none carries the marker. Its state is the team's: a closed tracking issue is updated and stays
closed (close it to say "we have seen it"; reopen it to watch again), its title and labels are left
as the team set them, and it gets no comments. A new issue is pinned once through GraphQL's
`pinIssue` when the token may (a repository pins at most three); unpinning it is respected.
"""

from __future__ import annotations

from typing import Any

from kit import __version__
from kit.errors import GitHubError
from kit.history.token import scrub
from kit.publish.client import PublishClient
from kit.publish.folder import ReportFolder
from kit.publish.marker import TRACKING_ISSUE, carries, marked_body, marker
from kit.publish.result import Published

TARGET = "tracking issue"
PIN = "mutation($issueId: ID!) { pinIssue(input: {issueId: $issueId}) { issue { number isPinned } } }"


def issue_body(folder: ReportFolder) -> str:
    footer = (
        f"<sub>Written by codex-kit {__version__} from the report made {folder.made_at or 'now'}. This issue is "
        "rewritten on every run (closing it is fine: it stays closed); comments here are not read.</sub>"
    )
    return scrub(marked_body(marker(TRACKING_ISSUE, folder.repo, folder.workflow), folder.summary, footer))


def find_tracking_issue(client: PublishClient, mark: str) -> dict[str, Any] | None:
    """The most recently updated issue (not pull request), open or closed, whose body carries `mark`."""
    issues = client.listing(
        f"issues of {client.repo}", client.api.issues.list_for_repo, state="all", sort="updated", direction="desc"
    )
    return next((i for i in issues if "pull_request" not in i and carries(i.get("body"), mark)), None)


def publish_issue(client: PublishClient, folder: ReportFolder) -> Published:
    body = issue_body(folder)
    found = find_tracking_issue(client, marker(TRACKING_ISSUE, folder.repo, folder.workflow))
    if found is None:
        title = f"Codex reliability: {folder.repo} {folder.workflow}"
        created = client.once(f"create the tracking issue in {client.repo}", client.api.issues.create,
                              title=title, body=body).data  # fmt: skip
        notes = _pin(client, created)
        return Published(TARGET, "created", f"#{created['number']} {created['html_url']}", notes)
    where = f"#{found['number']} {found['html_url']}"
    state = " (closed: left closed)" if found.get("state") == "closed" else ""
    if found.get("body") == body:
        return Published(TARGET, "unchanged", where + state)
    client.call(f"update the tracking issue #{found['number']}", client.api.issues.update, found["number"], body=body)
    return Published(TARGET, "updated", where + state)


def _pin(client: PublishClient, issue: dict[str, Any]) -> list[str]:
    """Pin a new issue; a refusal (a token without the right, three issues pinned already) is a note.

    Sent by `GitHubClient.graphql`, which knows where GraphQL lives (Enterprise serves /api/graphql)."""
    try:
        _, errors = client.graphql(f"pin issue #{issue['number']}", PIN, {"issueId": issue["node_id"]})
    except GitHubError as err:  # pinning is a courtesy: a refusal is reported, never fatal
        return [f"not pinned ({err})"]
    if errors:
        return [f"not pinned (GitHub says: {'; '.join(str(e.get('message', e)) for e in errors)})"]
    return ["pinned"]
