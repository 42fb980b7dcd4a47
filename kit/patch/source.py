"""Where the patch reads a repository's files from and writes them to: a folder, or a file set in memory.

One pipeline (`kit.patch.repo`) hardens a checkout on disk and a repository read through the API
(`codex-kit patch --pr`) alike; only this seam differs. Every source answers in repository-relative
POSIX paths and keeps the same rules: a symlink is never read through or replaced, what leads
outside the root is named as such and never read, a file over `MAX_BYTES` is refused unread.
`FolderSource` asks the operating system exactly as the patch always did; the in-memory source is
`kit.patch.memory.MemorySource`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from kit.textfile import FileState, read_file, write_atomic


class Source:
    """A repository's files as the patch sees them; every path is relative to the root, with `/`."""

    def show(self, rel: str) -> str:
        """How a path is named where the patch names the file itself (the folder pipeline shows full paths)."""
        raise NotImplementedError

    def is_symlink(self, rel: str) -> bool:
        raise NotImplementedError

    def is_file(self, rel: str) -> bool:
        """A regular file, following symlinks (as `Path.is_file`)."""
        raise NotImplementedError

    def is_dir(self, rel: str) -> bool:
        """A folder, following symlinks (as `Path.is_dir`)."""
        raise NotImplementedError

    def exists(self, rel: str) -> bool:
        return self.is_file(rel) or self.is_dir(rel)

    def readlink(self, rel: str) -> str:
        raise NotImplementedError

    def outside(self, rel: str) -> str | None:
        """Where `rel` really leads (every symlink on the way followed) when that is outside the root; else None."""
        raise NotImplementedError

    def resolve(self, rel: str) -> str:
        """The path `rel` leads to inside the root, symlinks followed (call only when `outside` is None)."""
        raise NotImplementedError

    def children(self, rel: str) -> list[str]:
        """The names in a folder, sorted; OSError when it cannot be listed."""
        raise NotImplementedError

    def glob(self, pattern: str) -> list[str]:
        """Paths matching a `Path.glob` pattern of plain components (`*`, `?`), sorted."""
        raise NotImplementedError

    def walk(self) -> list[str]:
        """Every path below the root (not into symlinked folders), in `sorted(Path.rglob("*"))` order."""
        raise NotImplementedError

    def read(self, rel: str, where: str) -> tuple[bytes, FileState | None]:
        """The bytes of a regular file (never through a symlink, at most `MAX_BYTES`) and its state.

        Raises `RefusedFile` naming the file as `where`."""
        raise NotImplementedError

    def write(self, rel: str, data: bytes, expect: FileState | None, where: str) -> None:
        """Replace the file with `data` if it is still what was read; `RefusedFile` or `OSError` if not."""
        raise NotImplementedError


def as_source(repo: Path | Source) -> Source:
    """A folder given as a path, or a source as it is."""
    return repo if isinstance(repo, Source) else FolderSource(repo)


def sort_key(rel: str) -> tuple[str, ...]:
    """Paths ordered by their parts, as `sorted()` orders `Path`s."""
    return PurePosixPath(rel).parts


@dataclass
class FolderSource(Source):
    """A checkout on disk: the operating system's answers, exactly as the patch has always asked them."""

    root: Path

    def __post_init__(self) -> None:
        self.root = self.root.resolve()

    def path(self, rel: str) -> Path:
        return self.root / rel

    def show(self, rel: str) -> str:
        return str(self.path(rel))

    def is_symlink(self, rel: str) -> bool:
        return self.path(rel).is_symlink()

    def is_file(self, rel: str) -> bool:
        try:
            return self.path(rel).is_file()
        except OSError:  # a name the file system refuses (too long, …) names no file here
            return False

    def is_dir(self, rel: str) -> bool:
        return self.path(rel).is_dir()

    def exists(self, rel: str) -> bool:
        return self.path(rel).exists()

    def readlink(self, rel: str) -> str:
        return os.readlink(self.path(rel))

    def outside(self, rel: str) -> str | None:
        path = self.path(rel).resolve()
        return None if path.is_relative_to(self.root) else str(path)

    def resolve(self, rel: str) -> str:
        return self.path(rel).resolve().relative_to(self.root).as_posix()

    def children(self, rel: str) -> list[str]:
        return sorted(p.name for p in self.path(rel).iterdir())

    def glob(self, pattern: str) -> list[str]:
        return [p.relative_to(self.root).as_posix() for p in sorted(self.root.glob(pattern))]

    def walk(self) -> list[str]:
        return [p.relative_to(self.root).as_posix() for p in sorted(self.root.rglob("*"))]

    def read(self, rel: str, where: str) -> tuple[bytes, FileState | None]:
        return read_file(self.path(rel), where)

    def write(self, rel: str, data: bytes, expect: FileState | None, where: str) -> None:
        write_atomic(self.path(rel), data, expect=expect, where=where)
