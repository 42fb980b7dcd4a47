"""One comment on a given pull request, edited in place on every re-run (found by its hidden marker).

For a one-off run after the patch lands: the PR shows the verdicts without a new comment each time.
Only comments carrying the marker for this repository and workflow are ever edited.
"""

from __future__ import annotations

from kit import __version__
from kit.history.token import scrub
from kit.publish.client import PublishClient
from kit.publish.folder import ReportFolder
from kit.publish.marker import PR_COMMENT, carries, marked_body, marker
from kit.publish.result import Published

TARGET = "PR comment"


def comment_body(folder: ReportFolder) -> str:
    footer = f"<sub>codex-kit {__version__}: this comment is updated in place when the report runs again.</sub>"
    return scrub(marked_body(marker(PR_COMMENT, folder.repo, folder.workflow), folder.summary, footer))


def publish_comment(client: PublishClient, folder: ReportFolder, pr: int) -> Published:
    body = comment_body(folder)
    mark = marker(PR_COMMENT, folder.repo, folder.workflow)
    comments = client.listing(f"comments on #{pr}", client.api.issues.list_comments, pr)
    found = next((c for c in comments if carries(c.get("body"), mark)), None)
    if found is None:
        made = client.once(f"comment on #{pr}", client.api.issues.create_comment, pr, body=body).data
        return Published(TARGET, "created", made["html_url"])
    if found.get("body") == body:
        return Published(TARGET, "unchanged", found["html_url"])
    client.call(f"update the comment on #{pr}", client.api.issues.update_comment, found["id"], body=body)
    return Published(TARGET, "updated", found["html_url"])
