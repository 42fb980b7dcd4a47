"""Shared test fixtures: where ../shared is, and skipping clearly when it is not there."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = REPO_ROOT.parent / "shared"
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")

# The fakes are servers on this machine, which a proxy of the machine's (set for its package installs, say)
# cannot reach: the kit goes through the environment's proxy, so the tests run without one
# (tests/history/test_proxy.py sets its own).
for _name in PROXY_VARIABLES:
    os.environ.pop(_name, None)
    os.environ.pop(_name.lower(), None)


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not (SHARED / "corpus").is_dir():
        pytest.skip(f"{SHARED} is absent: the shared corpus and API examples live beside the project checkout")
    return SHARED


# Modules whose fixtures asked the GraphQL fake without ../shared's schema: what they built is not what their
# tests judge (a fetch that "failed" for want of a schema), so each of their tests is skipped with the reason.
_FIXTURES_WITHOUT_SCHEMA: set[str] = set()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item):
    """Fixtures (often module-scoped, built once for many tests) that needed GraphQL without the schema skip
    their module's tests, as a test asking it itself is skipped below."""
    from tests.support.fake_graphql import ASKED_WITHOUT_SCHEMA, SCHEMA_ABSENT

    module = getattr(getattr(item, "module", None), "__name__", "")
    if module in _FIXTURES_WITHOUT_SCHEMA:
        pytest.skip(SCHEMA_ABSENT)
    ASKED_WITHOUT_SCHEMA.clear()
    try:
        result = yield
    except Exception:
        if not ASKED_WITHOUT_SCHEMA:
            raise
        result = None
    if ASKED_WITHOUT_SCHEMA:
        _FIXTURES_WITHOUT_SCHEMA.add(module)
        pytest.skip(SCHEMA_ABSENT)
    return result


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
