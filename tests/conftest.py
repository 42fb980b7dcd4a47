"""Shared test fixtures: where ../shared is, and skipping clearly when it is not there."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = REPO_ROOT.parent / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not (SHARED / "corpus").is_dir():
        pytest.skip(f"{SHARED} is absent: the shared corpus and API examples live beside the project checkout")
    return SHARED


# The sample target repository has tests of its own; they are run against PostgreSQL by
# tests/patch/test_dbtest_postgres.py, never collected as the project's tests.
collect_ignore_glob = ["sample_target/*"]
