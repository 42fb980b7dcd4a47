"""The DB-test finder decides where a reader would, and the rewritten assertion describes itself truly."""

from __future__ import annotations

from pathlib import Path

from kit.patch.dbtest import plan_db_tests

POLICY_THEN_AUDIT = """\
BEGIN;
SELECT plan(2);
-- the seed leaves the policies table with its ACTIVE row
SELECT is(
    (SELECT count(*)::int FROM policies WHERE status = 'ACTIVE'),
    1,
    'exactly one ACTIVE policy'
);
SELECT is(
    (SELECT count(*)::int FROM audit_log WHERE kind = 'seed'),
    1,
    'one audit row for the seed'
);
SELECT * FROM finish();
ROLLBACK;
"""


def _plan(tmp_path: Path, text: str, name: str = "test_policy.sql"):
    folder = tmp_path / "db" / "tests"
    folder.mkdir(parents=True)
    (folder / name).write_text(text)
    return plan_db_tests(tmp_path)


def test_an_assertion_about_active_policies_outranks_a_neighbour(tmp_path: Path) -> None:
    outcome = _plan(tmp_path, POLICY_THEN_AUDIT)
    assert outcome.status == "patched", outcome.message
    ((_, new),) = outcome.changed.values()
    assert "SELECT cmp_ok(\n    (SELECT count(*)::int FROM policies WHERE status = 'ACTIVE'), '<=',\n    1," in new
    assert "'at most one ACTIVE policy'" in new and "exactly one" not in new
    assert "    1,\n    'one audit row for the seed'" in new, "the audit assertion is untouched"


def test_two_equally_strong_candidates_are_refused(tmp_path: Path) -> None:
    twice = POLICY_THEN_AUDIT.replace("FROM audit_log WHERE kind = 'seed'", "FROM policies WHERE status = 'ACTIVE'")
    outcome = _plan(tmp_path, twice)
    assert outcome.status == "ambiguous" and not outcome.changed


def test_pytest_message_says_at_most_one(tmp_path: Path) -> None:
    source = (
        "def test_one_active_policy(db):\n"
        "    active = db.scalar(\"SELECT count(*) FROM policies WHERE status = 'ACTIVE'\")\n"
        '    assert active == 1, f"expected exactly one ACTIVE policy, found {active}"\n'
    )
    outcome = _plan(tmp_path, source, "test_policy.py")
    ((_, new),) = outcome.changed.values()
    assert 'assert active <= 1, f"expected at most one ACTIVE policy, found {active}"' in new
