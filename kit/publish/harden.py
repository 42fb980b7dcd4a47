"""The hardening of one repository, delivered as one pull request from the kit's own branch.

The default branch is read through the API and patched in memory by the same pipeline as a checkout
(`kit.patch.repo`); the result is committed on top of the default branch's head to `HARDEN_BRANCH`,
and one pull request from it, found again by its hidden marker, lists every change and refusal.
Nothing is ever written to the default branch. The write order is tree, commit, branch, pull request:
a failure half-way leaves at most an unreferenced tree or commit (a branch never points at half a
change), and the next run finds what is missing and completes it. A branch that carries a commit the
kit did not make is never force-moved: someone is working on it. With `dry_run`, only reads are sent.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from kit import __version__
from kit.errors import GitHubError
from kit.history.client import Missing
from kit.history.token import scrub
from kit.patch.repo import RepoResult, patch_db_test_files, patch_workflows
from kit.patch.summary import patch_lines, refusal_lines
from kit.publish.client import PublishClient
from kit.publish.marker import carries, harden_marker, marked_body
from kit.publish.remote import Branch, read_branch, tree_listing
from kit.vocabulary import CODEX_ACTION, HARDEN_BRANCH

REF = f"heads/{HARDEN_BRANCH}"
TITLE = "Harden the advisory Codex jobs (codex-kit)"
TRAILER = "Made-by: codex-kit patch --pr"  # the last line of every commit the kit makes on its branch

# What `Delivery.action` says, one word each (the console prints them as they are).
OPENED, UPDATED, UNCHANGED = "opened", "updated", "unchanged"
WOULD_OPEN, WOULD_UPDATE = "would open", "would update"
HARDENED, NOTHING, FAILED = "already hardened", "nothing to patch", "failed"


@dataclass
class Delivery:
    """What happened (or, in a dry run, would happen) to one repository."""

    repo: str
    action: str
    result: RepoResult | None = None
    where: str = ""  # the pull request: "#N URL"
    error: str = ""
    notes: list[str] = field(default_factory=list)


def git_blob_sha(data: bytes) -> str:
    """The hash git gives a file's bytes, so a branch's files are compared without downloading them."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def patch_branch(branch: Branch) -> RepoResult:
    """The patch of the branch's files, in memory; the DB test only where a workflow runs Codex."""
    files = patch_workflows(branch.files, write=True, diff=False)
    if not any(f.kind in ("workflow", "action") for f in files):
        return RepoResult(files, True, None)
    outcome, db_files = patch_db_test_files(branch.files, write=True, diff=False)
    return RepoResult(files + db_files, True, outcome)


def pull_body(repo: str, result: RepoResult) -> str:
    """The pull request's description: the marker, every change and every refusal in the CLI's words."""
    changes = _fenced(patch_lines(result, check=False))
    refused = refusal_lines(result)
    summary = (
        f"codex-kit hardened the jobs of {repo} that run `{CODEX_ACTION}`, so that an advisory Codex job never "
        "blocks CI and says plainly why it failed when it does.\n\n### What changed\n\n" + changes
    )
    if refused:
        summary += "\n\n### Refused (left as they were)\n\n" + _fenced(refused)
    footer = (
        f"<sub>Made by `codex-kit patch --pr` ({__version__}) on branch `{HARDEN_BRANCH}`. Running it again "
        "updates this pull request (a new commit on top of the default branch) when the default branch or the "
        "kit's patch changed; a commit pushed here by anyone else stops it from touching the branch.</sub>"
    )
    return scrub(marked_body(harden_marker(repo), summary, footer))


def _fenced(lines: list[str]) -> str:
    """Lines as a code block whose fence no line can close (they hold paths and job ids from the repository)."""
    fence = "`" * max(3, max((_longest_run(line) for line in lines), default=0) + 1)
    return f"{fence}text\n" + "\n".join(lines) + f"\n{fence}"


def _longest_run(line: str) -> int:
    best = run = 0
    for char in line:
        run = run + 1 if char == "`" else 0
        best = max(best, run)
    return best


def deliver(client: PublishClient, default_branch: str, dry_run: bool) -> Delivery:
    """Patch the repository's default branch in memory and open or update its pull request."""
    try:
        branch = read_branch(client, default_branch)
    except Missing:  # the repository itself was found: an empty one has no branch yet
        return Delivery(client.repo, NOTHING, notes=[f"no branch {default_branch} (an empty repository?)"])
    result = patch_branch(branch)
    if not any(f.kind in ("workflow", "action") for f in result.files):
        return Delivery(client.repo, NOTHING, result, notes=[f"no workflow or local action uses {CODEX_ACTION}"])
    if not result.changed:
        return Delivery(client.repo, HARDENED, result)
    body = pull_body(client.repo, result)
    pull = find_pull(client)
    kit_head = _kit_branch(client)
    wanted = branch.blob_shas | {path: git_blob_sha(data) for path, data in branch.files.written.items()}
    current = kit_head is not None and _up_to_date(client, kit_head, branch, wanted)
    if current and pull is not None and pull.get("body") == body:
        return Delivery(client.repo, UNCHANGED, result, _where(pull), notes=["nothing changed since the last run"])
    if dry_run:
        return Delivery(client.repo, WOULD_OPEN if pull is None else WOULD_UPDATE, result, _where(pull))
    if not current:
        commit = _commit(client, branch, result)
        _move_branch(client, commit, exists=kit_head is not None)
    if pull is None:
        created = client.once(
            f"open the pull request in {client.repo}", client.api.pulls.create,
            title=TITLE, head=HARDEN_BRANCH, base=branch.name, body=body,
        ).data  # fmt: skip
        return Delivery(client.repo, OPENED, result, _where(created))
    if pull.get("body") != body:
        client.once(f"update pull request #{pull['number']}", client.api.pulls.update, pull["number"], body=body)
    return Delivery(client.repo, UPDATED, result, _where(pull))


def find_pull(client: PublishClient) -> dict[str, Any] | None:
    """The open pull request from the kit's branch that carries the marker (one request, as a rule)."""
    mark = harden_marker(client.repo)
    pulls = client.listing(
        f"open pull requests of {client.repo} from {HARDEN_BRANCH}", client.api.pulls.list,
        state="open", head=f"{client.owner}:{HARDEN_BRANCH}",
    )  # fmt: skip
    return next((p for p in pulls if carries(p.get("body"), mark)), None)


def _kit_branch(client: PublishClient) -> dict[str, Any] | None:
    """The head commit of the kit's branch; None when there is no branch. A branch whose head the kit did
    not commit is someone's work: an error, and the branch is left as it is."""
    try:
        ref = client.call(f"read branch {HARDEN_BRANCH}", client.api.git.get_ref, REF).data
    except Missing:
        return None
    sha = ref["object"]["sha"]
    commit = client.call(f"read commit {sha[:7]} of {HARDEN_BRANCH}", client.api.git.get_commit, sha).data
    if TRAILER not in str(commit.get("message", "")).splitlines():
        raise GitHubError(
            f"branch {HARDEN_BRANCH} of {client.repo} has a commit codex-kit did not make ({sha[:7]}); it is left as "
            f"it is: merge or close its pull request and delete the branch, then run `codex-kit patch --pr` again"
        )
    return commit


def _up_to_date(client: PublishClient, commit: dict[str, Any], branch: Branch, wanted: dict[str, str]) -> bool:
    """The kit's commit sits on the default branch's head and holds exactly the files this run would commit."""
    if [p.get("sha") for p in commit.get("parents") or []] != [branch.head]:
        return False
    listing = tree_listing(client, commit["tree"]["sha"], f"the files of {HARDEN_BRANCH}")
    have = {str(e["path"]): str(e["sha"]) for e in listing["tree"] if e.get("type") != "tree"}
    return have == wanted


def _commit(client: PublishClient, branch: Branch, result: RepoResult) -> str:
    """One tree (the changed files on the default branch's tree) and one commit on its head; the commit's sha."""
    entries = [
        {"path": path, "mode": branch.files.mode(path), "type": "blob", "content": data.decode("utf-8")}
        for path, data in sorted(branch.files.written.items())
    ]
    tree = client.once(f"write the tree of {HARDEN_BRANCH}", client.api.git.create_tree,
                       tree=entries, base_tree=branch.tree).data  # fmt: skip
    lines = "\n".join(patch_lines(result, check=False))
    message = f"{TITLE}\n\n{lines}\n\n{TRAILER}"
    commit = client.once(f"commit to {HARDEN_BRANCH}", client.api.git.create_commit,
                         message=scrub(message), tree=tree["sha"], parents=[branch.head]).data  # fmt: skip
    return str(commit["sha"])


def _move_branch(client: PublishClient, sha: str, exists: bool) -> None:
    """Point the kit's branch at the new commit: created, or force-moved (its head was checked to be the kit's)."""
    if exists:
        client.once(f"move branch {HARDEN_BRANCH}", client.api.git.update_ref, REF, sha=sha, force=True)
    else:
        client.once(f"create branch {HARDEN_BRANCH}", client.api.git.create_ref, ref=f"refs/{REF}", sha=sha)


def _where(pull: dict[str, Any] | None) -> str:
    return f"#{pull['number']} {pull.get('html_url', '')}".strip() if pull else ""
