"""`codex-kit patch --diff` output is a patch `git apply` accepts, byte for byte, on real files.

The corpus holds files with no final newline, CRLF line ends and a BOM; the diff must be of their
real lines, and applying it must give exactly the bytes the write mode writes.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from kit.patch.repo import patch_repo, unified_diff

GIT = shutil.which("git")
pytestmark = pytest.mark.skipif(GIT is None, reason="git is not installed")


def git(repo: Path, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", str(repo), *args], input=stdin, capture_output=True, check=False)


def make_repo(root: Path, files: dict[str, bytes]) -> Path:
    folder = root / ".github" / "workflows"
    folder.mkdir(parents=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    assert git(root, "init", "-q").returncode == 0
    return root


def apply_and_compare(tmp_path: Path, files: dict[str, bytes]) -> tuple[int, int]:
    """Diff mode, `git apply --check`, `git apply`, then compare with write mode; (files, changed)."""
    diff_repo = make_repo(tmp_path / "diff", files)
    result = patch_repo(diff_repo, write=False)
    changed = [f for f in result.changed if f.kind == "workflow"]
    assert all(f.diff for f in changed)
    patch = "".join(f.diff for f in changed).encode("utf-8")
    assert {p.name: p.read_bytes() for p in (diff_repo / ".github" / "workflows").iterdir()} == files
    (tmp_path / "all.diff").write_bytes(patch)
    check = git(diff_repo, "apply", "--check", "-v", str(tmp_path / "all.diff"))
    assert check.returncode == 0, check.stderr.decode()
    assert git(diff_repo, "apply", str(tmp_path / "all.diff")).returncode == 0
    write_repo = make_repo(tmp_path / "write", files)
    patch_repo(write_repo)
    for name in files:
        rel = Path(".github") / "workflows" / name
        assert (diff_repo / rel).read_bytes() == (write_repo / rel).read_bytes(), name
    return len(files), len(changed)


SMALL = (
    "on: push\njobs:\n  review:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: openai/codex-action@v1\n"
    "        with:\n          openai-api-key: ${{ secrets.OPENAI_API_KEY }}\n          prompt: hi\n"
)


@pytest.mark.parametrize(
    "variant",
    {
        "lf": SMALL.encode(),
        "no final newline": SMALL.rstrip("\n").encode(),
        "crlf": SMALL.replace("\n", "\r\n").encode(),
        "crlf, no final newline": SMALL.rstrip("\n").replace("\n", "\r\n").encode(),
        "bom": ("\ufeff" + SMALL).encode(),
        "bom, crlf, no final newline": ("\ufeff" + SMALL.rstrip("\n").replace("\n", "\r\n")).encode(),
    }.items(),
    ids=lambda v: v[0],
)
def test_synthetic_formats_apply(tmp_path: Path, variant: tuple[str, bytes]) -> None:
    _, data = variant
    assert apply_and_compare(tmp_path, {"a.yml": data, "b.yml": data}) == (2, 2)


def test_missing_final_newline_is_marked() -> None:
    diff = unified_diff("x.yml", b"a\nb", b"a\nb\nc")
    assert diff.endswith("-b\n\\ No newline at end of file\n+b\n+c\n\\ No newline at end of file\n")


def test_corpus_diffs_apply(shared_dir: Path, tmp_path: Path) -> None:
    sources = sorted((shared_dir / "corpus" / "workflows").glob("*.y*ml"))
    files = {p.name: p.read_bytes() for p in sources}
    total, changed = apply_and_compare(tmp_path, files)
    print(f"\ndiff: {changed} of {total} corpus files changed; git apply --check accepted the concatenated diff")
    assert changed >= total - 3


def test_diff_false_skips_the_diff(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, {"a.yml": SMALL.encode()})
    result = patch_repo(repo, write=False, diff=False)
    assert [f.status for f in result.files] == ["patched"] and result.files[0].diff == ""
