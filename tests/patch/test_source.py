"""One pipeline, two sources: a repository held as a git tree in memory is patched exactly as its checkout.

The same files (symlinks inside and outside, a local action behind a symlinked folder, one above the root,
a DB test named in pyproject.toml, an oversized file) are laid out on disk and as tree entries; the
results must agree file by file (status, kind, jobs, notes, reasons), and the bytes written into
memory must be the bytes written on disk. Blobs are read only for the files the patch reads.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from kit.patch.memory import MemorySource, TreeEntry
from kit.patch.repo import patch_repo, patch_source
from kit.patch.source import FolderSource
from kit.textfile import MAX_BYTES

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "tests" / "sample_target"

ACTION = """\
name: review
runs:
  using: composite
  steps:
    - uses: openai/codex-action@v1
      with:
        openai-api-key: ${{ inputs.key }}
        prompt: Review.
"""

CALLER = """\
on: [pull_request]
jobs:
  review:
    runs-on: ubuntu-latest
    steps:
      - uses: ./.github/actions/review
      - uses: ./.github/actions/linked
      - uses: ./../outside/action
"""


def layout() -> tuple[dict[str, str], dict[str, str]]:
    """(path -> text of regular files, path -> target of symlinks)."""
    files = {p.relative_to(SAMPLE).as_posix(): p.read_text() for p in SAMPLE.rglob("*") if p.is_file()}
    files |= {
        ".github/actions/review/action.yml": ACTION,
        "shared/actions/linked/action.yml": ACTION.replace("Review.", "Review again."),
        ".github/workflows/caller.yml": CALLER,
        "ci/codex.yml": files[".github/workflows/invariants.yml"],
        "pyproject.toml": '[tool.codex-kit]\ndb-tests = ["db/tests/test_policy.sql", "db/tests/test_policy.py"]\n',
        "notes/huge.sql": "-- policies ACTIVE\n",
    }
    links = {
        ".github/workflows/inside.yml": "../../ci/codex.yml",
        ".github/workflows/outside.yml": "../../../elsewhere.yml",
        ".github/actions/linked": "../../shared/actions/linked",
        "db/escape.sql": "/etc/passwd",
    }
    return files, links


def on_disk(root: Path, files: dict[str, str], links: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    for rel, target in links.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, root / rel)
    return root


def in_memory(files: dict[str, str], links: dict[str, str], sizes: dict[str, int]) -> MemorySource:
    blobs: dict[str, bytes] = {}
    entries: dict[str, TreeEntry] = {}
    for rel, text in [*files.items(), *links.items()]:
        data = text.encode()
        sha = hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
        blobs[sha] = data
        mode = "120000" if rel in links else "100644"
        entries[rel] = TreeEntry(rel, mode, sha, sizes.get(rel, len(data)))
    return MemorySource(entries, blobs.__getitem__)


def summary(result) -> list[tuple]:
    return [(f.path, f.kind, f.status, f.jobs, f.notes, f.callers, bool(f.error)) for f in result.files]


def test_a_tree_in_memory_is_patched_as_its_checkout(tmp_path: Path) -> None:
    files, links = layout()
    (tmp_path / "repo").mkdir()
    folder = on_disk(tmp_path / "repo", files, links)
    memory = in_memory(files, links, {})
    on_folder = patch_repo(folder)
    in_tree = patch_source(memory)
    assert summary(in_tree) == summary(on_folder)
    assert [f.path for f in in_tree.refused] == [
        ".github/workflows/inside.yml",
        ".github/workflows/outside.yml",
        "./../outside/action",
    ]
    # an action reached through a symlinked folder inside is patched where its file really is, on disk and in the tree
    assert ".github/actions/linked/action.yml" in [f.path for f in in_tree.changed]
    real = FolderSource(folder)
    assert memory.written == {real.resolve(f.path): (folder / f.path).read_bytes() for f in on_folder.changed}
    assert "shared/actions/linked/action.yml" in memory.written
    assert in_tree.db_test is not None and in_tree.db_test.status == on_folder.db_test.status == "patched"
    assert "README.md" not in memory.reads and "db/seed.sql" not in memory.reads, "only what the patch reads"


def test_a_file_over_the_limit_is_refused_without_being_downloaded() -> None:
    files, links = layout()
    files["pyproject.toml"] = '[tool.codex-kit]\ndb-tests = ["notes/huge.sql"]\n'
    memory = in_memory(files, links, {"notes/huge.sql": MAX_BYTES + 1})
    result = patch_source(memory)
    assert result.db_test is not None and result.db_test.status == "error"
    assert "notes/huge.sql: is 32.0 MB; the kit reads files up to 32.0 MB" in result.db_test.message
    assert "notes/huge.sql" not in memory.reads


@pytest.mark.parametrize(
    ("rel", "outside", "resolved"),
    [
        (".github/workflows/inside.yml", None, "ci/codex.yml"),
        (".github/workflows/outside.yml", "../elsewhere.yml", None),
        (".github/actions/linked/action.yml", None, "shared/actions/linked/action.yml"),
        ("db/escape.sql", "/etc/passwd", None),
        ("./../x", "../x", None),
    ],
)
def test_symlinks_resolve_as_the_file_system_resolves_them(tmp_path: Path, rel, outside, resolved) -> None:
    files, links = layout()
    (tmp_path / "repo").mkdir()
    folder = FolderSource(on_disk(tmp_path / "repo", files, links))
    memory = in_memory(files, links, {})
    assert memory.outside(rel) == outside
    assert (folder.outside(rel) is None) == (outside is None)
    if resolved:
        assert memory.resolve(rel) == folder.resolve(rel) == resolved
        assert memory.is_file(rel) and folder.is_file(rel)
