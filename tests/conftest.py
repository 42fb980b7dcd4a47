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


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    """A test that failed because the fake GitHub was asked GraphQL without ../shared's schema is skipped,
    with that reason: the GraphQL fake validates and runs every query against GitHub's published schema."""
    from tests.support.fake_graphql import ASKED_WITHOUT_SCHEMA, SCHEMA_ABSENT

    ASKED_WITHOUT_SCHEMA.clear()
    try:
        return (yield)
    except Exception:
        if ASKED_WITHOUT_SCHEMA:
            pytest.skip(SCHEMA_ABSENT)
        raise


# The sample target repository has tests of its own; they are run against PostgreSQL by
# tests/patch/test_dbtest_postgres.py, never collected as the project's tests.
collect_ignore_glob = ["sample_target/*"]
