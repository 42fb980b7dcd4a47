"""The dashboard on GitHub Pages: index.html and report.json committed to `gh-pages` through the git
data API, and Pages turned on for that branch when it is off.

No clone and no git binary: one tree (file contents inline), one commit whose parent is the branch's
head, one fast-forward of the ref. Unchanged content makes no commit: the branch's files are compared
by their git blob hashes, computed here, before anything is written. A Pages site that already
publishes from another branch is left as the team set it (a note says so). Pages sites are public
even for most private repositories: this target is opt-in for that reason.
"""

from __future__ import annotations

import hashlib
from typing import Any

from kit import __version__
from kit.history.client import Missing  # a 404: often an answer here ("no gh-pages branch yet"), not a failure
from kit.history.token import scrub
from kit.publish.client import PublishClient
from kit.publish.folder import REPORT_JSON, TEAM_JSON, ReportFolder
from kit.publish.result import Published

TARGET = "GitHub Pages"
BRANCH = "gh-pages"
REF = f"heads/{BRANCH}"


def site_files(folder: ReportFolder) -> dict[str, str]:
    """The site: the dashboard as index.html, report.json beside it, and .nojekyll (serve files as they are).

    A team's site: the overview as index.html, team.json, and each repository's dashboard and report.json
    in its sub-folder, where the overview links to them.
    """
    if folder.team:
        pages = {name: scrub(text) for name, text in folder.dashboards}
        return {"index.html": scrub(folder.html), TEAM_JSON: scrub(folder.report_text), **pages, ".nojekyll": ""}
    return {"index.html": scrub(folder.html), REPORT_JSON: scrub(folder.report_text), ".nojekyll": ""}


def blob_sha(text: str) -> str:
    """The hash git gives a file's bytes: equal hashes, equal content (no download needed to compare)."""
    data = text.encode("utf-8")
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def publish_pages(client: PublishClient, folder: ReportFolder) -> Published:
    files = site_files(folder)
    head = _head(client)
    if head is not None and _files_at(client, head) == {path: blob_sha(text) for path, text in files.items()}:
        action = "unchanged"
    else:
        _commit(client, files, head, folder)
        action = "updated" if head else "created"
    site, notes = _ensure_site(client)
    return Published(TARGET, action, site.get("html_url") or f"branch {BRANCH}", notes)


def _head(client: PublishClient) -> str | None:
    try:
        return client.call(f"read branch {BRANCH}", client.api.git.get_ref, REF).data["object"]["sha"]
    except Missing:
        return None


def _files_at(client: PublishClient, commit_sha: str) -> dict[str, str]:
    commit = client.call(f"read commit {commit_sha[:7]} of {BRANCH}", client.api.git.get_commit, commit_sha).data
    tree = client.call(f"read the tree of {BRANCH}", client.api.git.get_tree, commit["tree"]["sha"],
                       recursive="1").data  # fmt: skip
    return {entry["path"]: entry["sha"] for entry in tree["tree"] if entry.get("type") == "blob"}


def _commit(client: PublishClient, files: dict[str, str], head: str | None, folder: ReportFolder) -> None:
    entries = [{"path": path, "mode": "100644", "type": "blob", "content": text} for path, text in files.items()]
    tree = client.call(f"write the {BRANCH} tree", client.api.git.create_tree, tree=entries).data
    message = f"Codex reliability report for {folder.repo} {folder.workflow} (codex-kit {__version__})"
    commit = client.call(f"commit to {BRANCH}", client.api.git.create_commit, message=message, tree=tree["sha"],
                         parents=[head] if head else []).data  # fmt: skip
    if head:  # a fast-forward only: a branch someone else moved meanwhile is refused (422), not overwritten
        client.call(f"move {BRANCH}", client.api.git.update_ref, REF, sha=commit["sha"], force=False)
    else:
        client.call(f"create branch {BRANCH}", client.api.git.create_ref, ref=f"refs/{REF}", sha=commit["sha"])


def _ensure_site(client: PublishClient) -> tuple[dict[str, Any], list[str]]:
    try:
        site = client.call(f"read the Pages settings of {client.repo}", client.api.repos.get_pages).data
    except Missing:
        source = {"branch": BRANCH, "path": "/"}
        site = client.once(f"turn on Pages for {client.repo}", client.api.repos.create_pages_site, source=source).data
        return site, [f"Pages turned on for branch {BRANCH}; the site is public"]
    branch = (site.get("source") or {}).get("branch")
    if site.get("build_type") == "workflow" or branch != BRANCH:
        where = "a workflow" if site.get("build_type") == "workflow" else f"branch {branch}"
        return site, [f"Pages publishes from {where}, not {BRANCH}: left as it is (Settings → Pages to change it)"]
    return site, []
