"""A cache missing a table, or holding one its last fetch did not write: the report says so and never
judges on rows that are not there."""

from __future__ import annotations

import contextlib
import io
import json
import shutil

import pytest

from kit.cli import main
from kit.history.cache import HistoryCache, cache_folder
from kit.history.locations import SAMPLE_REPO, SAMPLE_ROOT
from kit.report.run import OUTPUTS


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[int, dict, str]]:
    """One report per deleted table, on a copy of the sample: (exit code, report.json, stderr)."""
    made = {}
    for table in ("runs", "jobs", "steps", "log_lines"):
        root = tmp_path_factory.mktemp(table)
        shutil.copytree(SAMPLE_ROOT, root / "cache")
        HistoryCache(cache_folder(root / "cache", SAMPLE_REPO)).table_path(table).unlink()
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            code = main(["report", "--repo", SAMPLE_REPO, "--cache", str(root / "cache"), "--out", str(root / "out")])
        made[table] = (code, json.loads((root / "out" / OUTPUTS[0]).read_text()), err.getvalue())
    return made


@pytest.mark.parametrize("table", ["runs", "jobs", "steps", "log_lines"])
def test_a_deleted_table_is_said_everywhere_with_the_command_that_repairs_it(reports, table: str) -> None:
    code, report, err = reports[table]
    assert code in (0, 1) and "Traceback" not in err
    said = f"the cache's {table}/repo=acme__ledger/part-0.parquet is missing or not the file its last fetch wrote"
    assert any(w.startswith(said) for w in report["period"]["warnings"]), report["period"]["warnings"]
    assert said in err and f"codex-kit fetch --repo {SAMPLE_REPO}" in err


def test_without_its_kept_log_lines_no_criterion_that_needs_a_cause_passes(reports) -> None:
    _, report, _ = reports["log_lines"]
    verdicts = {v["id"]: v for v in report["verdicts"]}
    for criterion in ("server-info", "actionable"):
        assert verdicts[criterion]["status"] == "NOT ENOUGH DATA", verdicts[criterion]["figures"]
        assert verdicts[criterion]["counts"]["without_log_after"] > 0
    counted = {c["category"]: c for c in report["categories"]}
    assert "no-log" in counted and counted["no-log"]["after_failures"] > 0, "the failures are still counted"


def test_without_runs_or_jobs_nothing_passes(reports) -> None:
    for table in ("runs", "jobs"):
        _, report, _ = reports[table]
        assert {v["status"] for v in report["verdicts"]} <= {"NOT ENOUGH DATA", "FAIL"}, table
