"""Each supported assertion form is found by content and rewritten to "at most one" in its own idiom."""

from __future__ import annotations

from pathlib import Path

import pytest

from kit.errors import UsageError
from kit.patch.dbtest import DbTestConfig, plan_db_tests
from kit.patch.repo import patch_repo

FORMS = [
    (
        "t.sql",
        "SELECT is((SELECT count(*) FROM policies WHERE status='ACTIVE'), 1::bigint, 'one');\n",
        "SELECT cmp_ok((SELECT count(*) FROM policies WHERE status='ACTIVE'), '<=', 1::bigint, 'one');\n",
    ),
    (
        "t.sql",
        "SELECT cmp_ok(active_policy_count(), '=', 1::bigint); -- ACTIVE policies\n",
        "SELECT cmp_ok(active_policy_count(), '<=', 1::bigint); -- ACTIVE policies\n",
    ),
    (
        "t.sql",
        "SELECT ok((SELECT count(*) FROM policy WHERE state = 'active') = 1, 'single');\n",
        "SELECT ok((SELECT count(*) FROM policy WHERE state = 'active') <= 1, 'single');\n",
    ),
    (
        "t.sql",
        "DO $$ BEGIN\n  ASSERT (SELECT count(*) FROM policies WHERE status = 'ACTIVE') = 1, 'one active';\nEND $$;\n",
        "DO $$ BEGIN\n  ASSERT (SELECT count(*) FROM policies WHERE status = 'ACTIVE') <= 1, 'one active';\nEND $$;\n",
    ),
    (
        "test_p.py",
        "def test_it(db):\n    n = db.scalar(\"select count(*) from policies where status='ACTIVE'\")\n    assert n == 1\n",
        "def test_it(db):\n    n = db.scalar(\"select count(*) from policies where status='ACTIVE'\")\n    assert n <= 1\n",
    ),
    (
        "test_p.py",
        "def test_it(db):\n    assert 1 == count_active_policies(db)\n",
        "def test_it(db):\n    assert 1 >= count_active_policies(db)\n",
    ),
    (
        "test_u.py",
        "class T(TestCase):\n    def test(self):\n        self.assertEqual(Policy.objects.filter(status='ACTIVE').count(), 1)\n",
        "class T(TestCase):\n    def test(self):\n        self.assertLessEqual(Policy.objects.filter(status='ACTIVE').count(), 1)\n",
    ),
    (
        "p.test.ts",
        "it('one', async () => {\n  const rows = await activePolicies();\n  expect(rows).toHaveLength(1);\n});\n",
        "it('one', async () => {\n  const rows = await activePolicies();\n  expect(rows.length).toBeLessThanOrEqual(1);\n});\n",
    ),
    (
        "p.test.js",
        "test('one', async () => {\n  expect(await countPolicies('ACTIVE')).toBe(1);\n});\n",
        "test('one', async () => {\n  expect(await countPolicies('ACTIVE')).toBeLessThanOrEqual(1);\n});\n",
    ),
    (
        "p.spec.mjs",
        "// active policies\nexpect(n).toEqual(1);\n",
        "// active policies\nexpect(n).toBeLessThanOrEqual(1);\n",
    ),
    (
        "p_test.go",
        'func TestPolicy(t *testing.T) {\n\tn := countPolicies(db, "ACTIVE")\n\tassert.Equal(t, 1, n, "one")\n}\n',
        'func TestPolicy(t *testing.T) {\n\tn := countPolicies(db, "ACTIVE")\n\tassert.LessOrEqual(t, n, 1, "one")\n}\n',
    ),
    (
        "p_test.go",
        "func TestPolicy(t *testing.T) {\n\trows := activePolicies(db)\n\trequire.Len(t, rows, 1)\n}\n",
        "func TestPolicy(t *testing.T) {\n\trows := activePolicies(db)\n\trequire.LessOrEqual(t, len(rows), 1)\n}\n",
    ),
]


@pytest.mark.parametrize(("name", "before", "after"), FORMS, ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(FORMS)])
def test_form_is_rewritten_and_nothing_else(tmp_path: Path, name: str, before: str, after: str) -> None:
    (tmp_path / name).write_text(before)
    result = patch_repo(tmp_path)
    assert result.db_test.status == "patched", result.db_test.message
    assert (tmp_path / name).read_text() == after
    again = patch_repo(tmp_path)
    assert again.db_test.status == "unchanged" and (tmp_path / name).read_text() == after


def test_equals_one_about_something_else_is_ignored(tmp_path: Path) -> None:
    (tmp_path / "test_x.py").write_text("def test():\n    users = count_users()\n    assert users == 1\n")
    assert plan_db_tests(tmp_path).status == "none"


def test_none_found_says_how_to_point_the_kit(tmp_path: Path) -> None:
    outcome = plan_db_tests(tmp_path)
    assert outcome.status == "none" and "[tool.codex-kit]" in outcome.message


def test_several_candidates_in_a_file_change_nothing(tmp_path: Path) -> None:
    text = (
        "-- active policies\nSELECT is(active_policy_count(), 1::bigint);\n"
        "SELECT is((SELECT count(*) FROM policies WHERE status = 'ACTIVE' AND name = 'x'), 1::bigint);\n"
    )
    (tmp_path / "t.sql").write_text(text)
    result = patch_repo(tmp_path)
    assert result.db_test.status == "ambiguous"
    assert "t.sql:2" in result.db_test.message and "t.sql:3" in result.db_test.message
    assert "db-test-pattern" in result.db_test.message
    assert (tmp_path / "t.sql").read_text() == text


def test_pattern_in_pyproject_picks_the_one(tmp_path: Path) -> None:
    text = (
        "-- active policies\nSELECT is(active_policy_count(), 1::bigint);\n"
        "SELECT is((SELECT count(*) FROM policies WHERE status = 'ACTIVE' AND name = 'x'), 1::bigint);\n"
    )
    (tmp_path / "t.sql").write_text(text)
    (tmp_path / "pyproject.toml").write_text(
        '[tool.codex-kit]\ndb-tests = ["t.sql"]\ndb-test-pattern = "active_policy_count"\n'
    )
    result = patch_repo(tmp_path)
    assert result.db_test.status == "patched"
    assert (tmp_path / "t.sql").read_text() == text.replace(
        "is(active_policy_count(), ", "cmp_ok(active_policy_count(), '<=', "
    )


def test_bad_config_is_a_clear_refusal(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.codex-kit]\ndb-tests = ["missing.sql"]\n')
    result = patch_repo(tmp_path)
    assert result.db_test.status == "error" and "missing.sql" in result.db_test.message
    assert [f.status for f in result.refused] == ["refused"]


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("[tool.codex-kit\n", "not valid TOML"),
        ('[tool.codex-kit]\ndb-tests = "t.sql"\n', "must be a list of paths"),
        ('[tool.codex-kit]\ndb-test-pattern = "("\n', "not a valid regex"),
    ],
    ids=["toml", "db-tests", "pattern"],
)
def test_unusable_config_is_a_usage_error_reported_as_the_outcome(tmp_path: Path, config: str, message: str) -> None:
    (tmp_path / "pyproject.toml").write_text(config)
    with pytest.raises(UsageError, match=message):
        DbTestConfig.load(tmp_path)
    outcome = plan_db_tests(tmp_path)
    assert outcome.status == "error" and message in outcome.message and "pyproject.toml" in outcome.message


def test_crlf_test_file_stays_crlf(tmp_path: Path) -> None:
    before = "def test(c):\r\n    # ACTIVE policies\r\n    assert c.count('policies') == 1\r\n"
    (tmp_path / "test_c.py").write_bytes(before.encode())
    patch_repo(tmp_path)
    assert (tmp_path / "test_c.py").read_bytes() == before.replace("== 1", "<= 1").encode()


def test_check_and_diff_write_nothing(tmp_path: Path) -> None:
    before = "def test(c):\n    # ACTIVE policies\n    assert c.count('policies') == 1\n"
    (tmp_path / "test_c.py").write_text(before)
    result = patch_repo(tmp_path, write=False)
    assert result.db_test.status == "patched" and "<= 1" in result.files[0].diff
    assert (tmp_path / "test_c.py").read_text() == before
