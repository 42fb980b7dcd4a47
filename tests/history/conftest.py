"""Fixtures shared by the history tests."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest


@pytest.fixture
def open_tmp():
    """A temporary folder another user can reach (pytest's own is private to root)."""
    folder = Path(tempfile.mkdtemp(prefix="codex-kit-ro-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder)
