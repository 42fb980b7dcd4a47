"""Where the patch reads a repository's files from and writes them to: a folder, or a file set in memory.

One pipeline (`kit.patch.repo`) hardens a checkout on disk and a repository read through the API
(`codex-kit patch --pr`) alike; only this seam differs. Both answer in repository-relative POSIX
paths and keep the same rules: a symlink is never read through or replaced, what leads outside the
root is named as such and never read, a file over `MAX_BYTES` is refused unread. `FolderSource`
asks the operating system exactly as the patch always did; `MemorySource` answers from a git tree
listing (symlinks are entries of mode 120000 whose blob is the link's target) and reads each blob
only when the patch asks for it, through a callable, so this package never talks HTTP. What the
patch writes into a `MemorySource` is kept in `written`, never sent anywhere by this module.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from kit.errors import RefusedFile
from kit.textfile import MAX_BYTES, FileState, UnreadableFile, megabytes, read_file, write_atomic

SYMLINK_MODE = "120000"
TREE_MODE = "040000"
SUBMODULE_MODE = "160000"
MAX_HOPS = 40  # symlinks followed on one path before it is taken as a loop (Linux's limit)


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


def _sort_key(rel: str) -> tuple[str, ...]:
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


@dataclass(frozen=True)
class TreeEntry:
    """One entry of a git tree listing (`GET git/trees/{sha}?recursive=1`)."""

    path: str
    mode: str
    sha: str
    size: int = 0


@dataclass
class MemorySource(Source):
    """A repository as a git tree listing; blobs are read on demand through `blob(sha)`.

    `name` (e.g. OWNER/REPO) prefixes nothing: paths are shown relative, as GitHub shows them."""

    entries: dict[str, TreeEntry]
    blob: Callable[[str], bytes]
    written: dict[str, bytes] = field(default_factory=dict)
    reads: list[str] = field(default_factory=list)  # the paths whose blobs were asked for, in order
    _dirs: set[str] = field(default_factory=set)
    _cache: dict[str, bytes] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._dirs = {""}
        for rel, entry in self.entries.items():
            parts = rel.split("/")
            self._dirs.update("/".join(parts[:n]) for n in range(1, len(parts)))
            if entry.mode in (TREE_MODE, SUBMODULE_MODE):  # a submodule is an empty folder in a checkout
                self._dirs.add(rel)

    @classmethod
    def from_listing(cls, tree: list[dict], blob: Callable[[str], bytes]) -> MemorySource:
        """From the `tree` array GitHub returns for a recursive listing."""
        entries = {
            str(e["path"]): TreeEntry(str(e["path"]), str(e.get("mode", "100644")), str(e.get("sha", "")),
                                      int(e.get("size") or 0))
            for e in tree
        }  # fmt: skip
        return cls(entries, blob)

    def show(self, rel: str) -> str:
        return posixpath.normpath(rel)

    def _entry(self, rel: str) -> TreeEntry | None:
        """The entry `rel` names itself (its folders followed, as the OS does, but not its last part)."""
        parent, _, name = rel.rstrip("/").rpartition("/")
        folder, _ = self._walk_links(parent)
        if folder is None or name in ("", ".", ".."):
            return None
        return self.entries.get(f"{folder}/{name}" if folder else name)

    def _bytes_of(self, entry: TreeEntry) -> bytes:
        if entry.sha not in self._cache:
            self.reads.append(entry.path)
            self._cache[entry.sha] = self.blob(entry.sha)
        return self._cache[entry.sha]

    def _walk_links(self, rel: str, follow_last: bool = True) -> tuple[str | None, str]:
        """(the path inside the root `rel` leads to, or None when it leaves the root; what it leads to)."""
        pending = [p for p in rel.split("/") if p not in ("", ".")]
        done: list[str] = []
        hops = 0
        while pending:
            part = pending.pop(0)
            if part == "..":
                if not done:
                    return None, posixpath.normpath("/".join(["..", *pending]))
                done.pop()
                continue
            here = "/".join([*done, part])
            entry = self.entries.get(here)
            if entry is not None and entry.mode == SYMLINK_MODE and (pending or follow_last):
                hops += 1
                target = self._bytes_of(entry).decode("utf-8", "replace")
                if hops > MAX_HOPS or target.startswith("/"):
                    return None, target
                pending = [p for p in target.split("/") if p not in ("", ".")] + pending
                continue
            done.append(part)
        return "/".join(done), "/".join(done)

    def is_symlink(self, rel: str) -> bool:
        entry = self._entry(rel)
        return entry is not None and entry.mode == SYMLINK_MODE

    def is_file(self, rel: str) -> bool:
        inside, _ = self._walk_links(rel)
        entry = self.entries.get(inside) if inside else None
        return entry is not None and entry.mode not in (SYMLINK_MODE, TREE_MODE, SUBMODULE_MODE)

    def is_dir(self, rel: str) -> bool:
        inside, _ = self._walk_links(rel)
        return inside is not None and inside in self._dirs

    def readlink(self, rel: str) -> str:
        entry = self._entry(rel)
        if entry is None or entry.mode != SYMLINK_MODE:
            raise OSError(f"{rel}: not a symlink")
        return self._bytes_of(entry).decode("utf-8", "replace")

    def outside(self, rel: str) -> str | None:
        inside, target = self._walk_links(rel)
        return target if inside is None else None

    def resolve(self, rel: str) -> str:
        inside, _ = self._walk_links(rel)
        return inside or ""

    def children(self, rel: str) -> list[str]:
        folder = posixpath.normpath(rel) if rel else ""
        if folder not in self._dirs:
            raise FileNotFoundError(f"{rel}: no such folder")
        prefix = f"{folder}/" if folder else ""
        names = {p[len(prefix) :].split("/")[0] for p in [*self.entries, *self._dirs] if p.startswith(prefix) and p}
        return sorted(n for n in names if n)

    def glob(self, pattern: str) -> list[str]:
        depth = len(PurePosixPath(pattern).parts)
        paths = [*self.entries, *(d for d in self._dirs if d)]
        found = {p for p in paths if len(PurePosixPath(p).parts) == depth and PurePosixPath(p).match(pattern)}
        return sorted(found, key=_sort_key)

    def walk(self) -> list[str]:
        return sorted({*self.entries, *(d for d in self._dirs if d)}, key=_sort_key)

    def read(self, rel: str, where: str) -> tuple[bytes, FileState | None]:
        entry = self._entry(rel)
        if entry is None:
            raise UnreadableFile(f"{where}: cannot read it (No such file or directory)")
        if entry.mode == SYMLINK_MODE:
            raise UnreadableFile(f"{where}: is a symlink; the kit reads and edits only regular files")
        if entry.mode in (TREE_MODE, SUBMODULE_MODE):
            raise UnreadableFile(f"{where}: not a regular file")
        data = self._bytes_of(entry) if entry.size <= MAX_BYTES else b""  # one over the limit is not downloaded
        size = max(entry.size, len(data))
        if size > MAX_BYTES:
            raise UnreadableFile(f"{where}: is {megabytes(size)}; the kit reads files up to {megabytes(MAX_BYTES)}")
        return data, None

    def write(self, rel: str, data: bytes, expect: FileState | None, where: str) -> None:
        entry = self._entry(rel)
        if entry is None or entry.mode in (SYMLINK_MODE, TREE_MODE, SUBMODULE_MODE):
            raise RefusedFile(f"{where}: not a regular file of the repository; not written")
        self.written[entry.path] = data

    def mode(self, rel: str) -> str:
        """The file's git mode (100644 or 100755), which a commit of its new content keeps."""
        entry = self._entry(rel)
        return entry.mode if entry is not None else "100644"
