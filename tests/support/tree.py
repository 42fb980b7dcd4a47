"""Every byte, mode and symlink target under some folders, to prove what a run did not touch.

A hostile-input test snapshots the repository *and* a sentinel folder outside it before and after
the run; the difference must be exactly the files the run was meant to change.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

Entry = tuple[str, int, bytes | str | None]  # (kind, mode, file bytes | link target | None for a folder)


def snapshot(*roots: Path) -> dict[str, Entry]:
    """Each path under `roots` (the roots included), never following a symlink."""
    found: dict[str, Entry] = {}
    for root in roots:
        for folder, dirs, files in os.walk(root, followlinks=False):
            for name in [".", *dirs, *files]:
                path = Path(folder) / name if name != "." else Path(folder)
                info = os.lstat(path)
                mode = stat.S_IMODE(info.st_mode)
                if stat.S_ISLNK(info.st_mode):
                    found[str(path)] = ("link", mode, os.readlink(path))
                elif stat.S_ISDIR(info.st_mode):
                    found[str(path)] = ("dir", mode, None)
                else:
                    found[str(path)] = ("file", mode, path.read_bytes())
    return found


def changed(before: dict[str, Entry], after: dict[str, Entry]) -> set[str]:
    """The paths that appeared, disappeared or differ in kind, mode, bytes or target."""
    return {path for path in before.keys() | after.keys() if before.get(path) != after.get(path)}
