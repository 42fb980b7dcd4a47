"""A table's columns in their schema's dtypes, whatever they came as; a column already right is kept as it is."""

from __future__ import annotations

import pandas as pd

from kit.history.schema import COLUMNS, typed


def test_gaps_and_foreign_dtypes_are_converted() -> None:
    raw = pd.DataFrame({
        "job_id": [1.0, None], "run_id": [7, 8], "name": ["review", None], "has_codex": [True, None],
        "started_at": pd.to_datetime(["2026-09-01 10:00", "2026-09-01 12:00"]).tz_localize("Europe/Berlin"),
    })  # fmt: skip
    jobs = typed("jobs", raw)
    assert list(jobs.columns) == COLUMNS["jobs"]
    assert jobs["job_id"].tolist() == [1, 0] and str(jobs["job_id"].dtype) == "int64"
    assert jobs["name"].tolist() == ["review", ""] and jobs["has_codex"].tolist() == [True, False]
    assert str(jobs["started_at"].dt.tz) == "UTC" and jobs["started_at"].iloc[0].hour == 8  # 10:00 in Berlin
    assert jobs["conclusion"].tolist() == ["", ""]  # a missing column, filled


def test_a_typed_table_is_its_own_typed_form() -> None:
    jobs = typed("jobs", pd.DataFrame({"job_id": [3], "name": ["db"], "started_at": ["2026-09-01T10:00:00Z"]}))
    again = typed("jobs", jobs)
    pd.testing.assert_frame_equal(again, jobs)
    again.loc[0, "name"] = "changed"
    assert jobs.loc[0, "name"] == "db"  # a copy: the caller's table is never changed under it


def test_a_string_column_with_missing_values_of_its_own_kind_is_made_the_tables_kind() -> None:
    """pandas' "string" dtype (missing is pd.NA, whose truth is an error) is not the tables' "str" (NaN)."""
    names = pd.Series(["review", "db"], dtype="string")
    jobs = typed("jobs", pd.DataFrame({"job_id": [1, 2], "name": names}))
    assert jobs["name"].dtype == typed("jobs", pd.DataFrame({"name": ["x"]}))["name"].dtype
    assert jobs["name"].dtype != names.dtype
