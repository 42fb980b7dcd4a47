"""A repository as a git tree listing, for the patch to read and write in memory (`codex-kit patch --pr`).

It answers as a checkout of that tree would (`kit.patch.source.FolderSource`): symlinks are entries
of mode 120000 whose blob is the link's target, followed as the file system follows them; a
submodule is an empty folder. Each blob is read only when the patch reads that file, through a
callable, so this package never talks HTTP; a file over `MAX_BYTES` (by the listing's size) is
refused without being downloaded. What the patch writes is kept in `written`, by the path of the
file really written (a path through a symlinked folder names the file behind it), and sent nowhere.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from kit.errors import RefusedFile
from kit.patch.source import Source, sort_key
from kit.textfile import MAX_BYTES, FileState, UnreadableFile, megabytes

SYMLINK_MODE = "120000"
TREE_MODE = "040000"
SUBMODULE_MODE = "160000"
MAX_HOPS = 40  # symlinks followed on one path before it is taken as a loop (Linux's limit)


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

    Paths are shown relative to the root in messages, as GitHub shows them (a folder shows full paths)."""

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
        return sorted(found, key=sort_key)

    def walk(self) -> list[str]:
        return sorted({*self.entries, *(d for d in self._dirs if d)}, key=sort_key)

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
