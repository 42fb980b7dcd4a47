"""Run codex-kit in a child process that meets a real operating-system refusal: a full disk or a
folder it may not write.

The tests run as root in CI, and root ignores file modes, so a read-only folder is made immutable
(`chattr +i`, which binds root too) when running as root, and read-only by its mode otherwise; "full
disk" is RLIMIT_FSIZE, under which a write past the limit fails with EFBIG exactly where a full disk
fails with ENOSPC. Nothing in the program under test is replaced.
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def codex_kit(*args: str, cwd: Path, max_file_bytes: int | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m kit.cli ARGS`, optionally with a cap on the size of any file it writes."""

    def limit() -> None:
        if max_file_bytes is not None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (max_file_bytes, max_file_bytes))

    return subprocess.run([sys.executable, "-m", "kit.cli", *args], cwd=cwd, preexec_fn=limit, capture_output=True,
                          text=True, timeout=300, check=False)  # fmt: skip


@contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """`folder` refuses new and changed entries, to root as well, for the duration."""
    if os.geteuid() != 0:
        mode = folder.stat().st_mode
        folder.chmod(0o555)
        try:
            yield
        finally:
            folder.chmod(mode)
        return
    made = subprocess.run(["chattr", "+i", str(folder)], capture_output=True, text=True, check=False)
    if made.returncode != 0:
        pytest.skip(f"cannot make a folder read-only for root here (chattr +i: {made.stderr.strip()})")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(folder)], check=True)


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` with its bytes (names relative), to prove nothing changed."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
