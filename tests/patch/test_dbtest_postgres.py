"""The DB policy test patch proved on a real PostgreSQL, with the sample target repository's tests.

Matrix: zero ACTIVE rows (SKIP_POLICY_SEED=1), one (seeded), two. Before the patch the sample's
pgTAP and pytest tests demand exactly one; after it, at most one. Each cell really runs the
sample's own setup script and its own test files against a fresh database.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from kit.cli import main
from tests.support.pg import Server, running_server

SAMPLE = Path(__file__).resolve().parents[1] / "sample_target"
_names = itertools.count()


@pytest.fixture(scope="module")
def server():
    with running_server() as running:
        yield running


@pytest.fixture(scope="module")
def repos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("repos")
    before, after = root / "before", root / "after"
    shutil.copytree(SAMPLE, before)
    shutil.copytree(SAMPLE, after)
    assert main(["patch", str(after)]) == 0
    return {"before": before, "after": after}


def fresh_database(server: Server, repo: Path, active: int) -> dict[str, str]:
    """A new database set up by the sample's own script, holding `active` ACTIVE policies."""
    name = f"policy_{next(_names)}"
    with psycopg.connect(**_kw(server, "postgres"), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    env = {**os.environ, **server.env(name), "SKIP_POLICY_SEED": "1" if active == 0 else "0"}
    subprocess.run(["bash", str(repo / "db" / "setup.sh")], env=env, check=True, capture_output=True)
    with psycopg.connect(**_kw(server, name), autocommit=True) as conn:
        if active == 2:
            conn.execute("INSERT INTO policies (name, status) VALUES ('rogue', 'ACTIVE')")
        count = conn.execute("SELECT count(*) FROM policies WHERE status = 'ACTIVE'").fetchone()[0]
        assert count == active
    return env


def _kw(server: Server, database: str) -> dict:
    return {"host": "127.0.0.1", "port": server.port, "user": server.user, "dbname": database}


def run_pgtap(server: Server, repo: Path, env: dict[str, str]) -> bool:
    with psycopg.connect(**_kw(server, env["PGDATABASE"]), autocommit=True) as conn:
        try:
            conn.execute("CREATE EXTENSION IF NOT EXISTS pgtap")
        except psycopg.errors.FeatureNotSupported as err:
            pytest.skip(f"pgTAP is not installed ({err}); install postgresql-<major>-pgtap (.ci/run does)")
        except psycopg.errors.UndefinedFile as err:
            pytest.skip(f"pgTAP is not installed ({err}); install postgresql-<major>-pgtap (.ci/run does)")
    proc = subprocess.run(
        ["psql", "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-f", str(repo / "db/tests/test_policy.sql")],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    tap = proc.stdout
    assert "1..2" in tap, f"pgTAP did not run: {proc.stderr}"
    return proc.returncode == 0 and "not ok" not in tap


def run_pytest(repo: Path, env: dict[str, str]) -> bool:
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "db/tests/test_policy.py"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    return proc.returncode == 0


MATRIX = [
    # active rows, passes before the patch, passes after it
    (0, False, True),
    (1, True, True),
    (2, False, False),
]


@pytest.mark.parametrize(("active", "before_ok", "after_ok"), MATRIX, ids=["skip-seed", "seeded", "two-active"])
@pytest.mark.parametrize("form", ["pgtap", "pytest"])
def test_policy_matrix(server: Server, repos: dict[str, Path], form: str, active: int, before_ok: bool, after_ok: bool):
    for stage, expected in (("before", before_ok), ("after", after_ok)):
        repo = repos[stage]
        env = fresh_database(server, repo, active)
        passed = run_pgtap(server, repo, env) if form == "pgtap" else run_pytest(repo, env)
        assert passed == expected, f"{form} {stage} the patch with {active} ACTIVE rows"


def test_patch_on_sample_is_idempotent(repos: dict[str, Path]) -> None:
    after = repos["after"]
    snapshot = {p: p.read_bytes() for p in after.rglob("*") if p.is_file()}
    assert main(["patch", str(after), "--check"]) == 0
    assert main(["patch", str(after)]) == 0
    assert snapshot == {p: p.read_bytes() for p in after.rglob("*") if p.is_file()}
