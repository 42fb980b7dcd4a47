"""A repository's default branch read through the API, as the patch's in-memory file set.

`codex-kit patch --pr` never clones: it asks the branch's head (`git/ref`), lists the whole tree in
one request (`git/trees/{head}?recursive=1`), and downloads a blob only when the patch reads that
file (`kit.patch.source.MemorySource`): the workflows, the local actions they use, `pyproject.toml`
and the DB-test files. Only reads happen here; nothing is written.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from kit.errors import GitHubError
from kit.patch.memory import MemorySource
from kit.publish.client import PublishClient


@dataclass
class Branch:
    """A repository's default branch as read: its name, head commit and tree, and its files."""

    repo: str
    name: str
    head: str
    tree: str
    files: MemorySource
    blob_shas: dict[str, str]  # path -> blob sha, for every file of the tree


def repository(client: PublishClient) -> dict[str, Any]:
    """`GET /repos/{repo}`: its default branch and whether it is archived."""
    return client.call(f"read {client.repo}", client.api.repos.get).data


def read_branch(client: PublishClient, branch: str) -> Branch:
    """The branch's head, its recursive tree, and a file set that reads each blob on demand."""
    ref = client.call(f"read branch {branch} of {client.repo}", client.api.git.get_ref, f"heads/{branch}").data
    head = _field(ref, "object", "sha", where=f"branch {branch}")
    listing = tree_listing(client, head, f"the files of {branch}")
    entries = listing["tree"]
    source = MemorySource.from_listing(entries, lambda sha: read_blob(client, sha))
    shas = {str(e["path"]): str(e["sha"]) for e in entries if e.get("type") != "tree"}
    return Branch(client.repo, branch, head, str(listing["sha"]), source, shas)


def tree_listing(client: PublishClient, sha: str, describe: str) -> dict[str, Any]:
    """One recursive tree listing (of a commit or a tree); a truncated one is an error, never half a repository."""
    data = client.call(f"list {describe}", client.api.git.get_tree, sha, recursive=1).data
    if not isinstance(data, dict) or not isinstance(data.get("tree"), list) or "sha" not in data:
        raise GitHubError(f"list {describe}: the answer is not a git tree; is --api-url GitHub's API?")
    if data.get("truncated"):
        raise GitHubError(
            f"list {describe}: GitHub truncated the tree (too many files for one listing); patch a checkout of "
            f"{client.repo} with `codex-kit patch` and open the pull request yourself"
        )
    return data


def read_blob(client: PublishClient, sha: str) -> bytes:
    data = client.call(f"read blob {sha[:7]}", client.api.git.get_blob, sha).data
    content = data.get("content") if isinstance(data, dict) else None
    if not isinstance(content, str):
        raise GitHubError(f"read blob {sha[:7]}: the answer has no content; is --api-url GitHub's API?")
    if data.get("encoding") == "utf-8":
        return content.encode("utf-8")
    try:
        return base64.b64decode(content)
    except binascii.Error as err:
        raise GitHubError(f"read blob {sha[:7]}: its content is not base64 ({err})") from err


def _field(data: Any, *keys: str, where: str) -> str:
    for key in keys:
        data = data.get(key) if isinstance(data, dict) else None
    if not isinstance(data, str):
        raise GitHubError(f"read {where}: the answer has no {'.'.join(keys)}; is --api-url GitHub's API?")
    return data
