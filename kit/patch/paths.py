"""Keep every path the patch reads or writes inside the repository it was pointed at.

A repository is input the kit does not control: `.github` or `.github/workflows` can be a symlink
to anywhere, a workflow or action file can be a symlink, and `uses: ./../x` or a
`[tool.codex-kit] db-tests` entry can name a path above the root. The patch resolves each path
before using it, never reads or writes one that resolves outside the root, never works through a
symlinked `.github` folder (even one that points inside: the files behind it are not where GitHub
reads workflows from), and never replaces a symlink with a regular file (`kit.textfile.read_file`
refuses to read through one). What it will not follow is refused with the reason, file by file.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from kit.errors import RefusedFile
from kit.patch.source import Source

# The folders under which the patch edits files: a symlink anywhere on the way is refused.
GITHUB_FOLDERS = (".github", ".github/workflows", ".github/actions")


class OutsideRepository(RefusedFile):
    """A path leads outside the repository root, or through a folder symlink the kit will not follow."""


def symlinked_folder(source: Source, rel: str) -> OutsideRepository | None:
    """The refusal for `rel` when it, or a folder on the way to it, is a symlink; else None."""
    parts = PurePosixPath(rel).parts
    for n in range(1, len(parts) + 1):
        shown = "/".join(parts[:n])
        if source.is_symlink(shown):
            where = "inside" if source.outside(shown) is None else "outside"
            return OutsideRepository(
                f"{shown}: is a symlink (to {source.readlink(shown)}, {where} the repository); the kit does not follow "
                f"it, so nothing under {rel} is read or patched: make it a real folder"
            )
    return None


def config_path(source: Source, name: str, where: str) -> str:
    """A repository file named in the repository's own configuration: relative, and inside the root.

    Raises `OutsideRepository` for an absolute path, a `~` path, a `..` that climbs out of the root, or
    a path that leaves it through a symlink."""
    posix = PurePosixPath(name)
    if posix.is_absolute() or Path(name).is_absolute() or name.startswith("~"):
        raise OutsideRepository(f"{where}: `{name}` is an absolute path; name files relative to the repository root")
    target = source.outside(name)
    if target is not None:
        raise OutsideRepository(
            f"{where}: `{name}` leads outside the repository (to {target}); name files inside it, relative to its root"
        )
    return name
