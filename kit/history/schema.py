"""The cache's tables, defined once: one pyarrow schema per table, with each column's meaning.

The column lists, the key columns, the in-memory dtypes and the on-disk Parquet types all follow
from these schemas, so adding a column is one line here. The history fetch writes these tables
and the analysis reads them; neither spells a column list of its own.

The tables on disk are one hive-partitioned dataset (`<root>/<table>/repo=<owner>__<name>/`), so
no table may hold a column named like the partition (`PARTITION`): a query engine would meet it
twice. `SCHEMA_VERSION` is written into every file and `_dataset.json`; version 1 was the layout
of one folder per repository, with the base repository in the runs' `repo` column.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

import numpy as np
import pandas as pd
import pyarrow as pa

SCHEMA_VERSION: Final = 2
PARTITION: Final = "repo"  # the hive partition column: `<owner>__<name>`, lower-cased; never stored in a file
VERSION_KEY: Final = b"codex_kit.schema_version"  # in each file's Parquet key-value metadata
TABLE_KEY: Final = b"codex_kit.table"


class LogStatus(StrEnum):
    """Where a job's log stands: asked for yet, kept, expired on GitHub, never needed, or not needed
    because the kit's own annotation already says why the job's Codex step failed (its lines are kept
    instead, with negative line numbers)."""

    PENDING = "pending"
    FETCHED = "fetched"
    GONE = "gone"
    NOT_NEEDED = "not-needed"
    ANNOTATED = "annotated"


def _field(name: str, kind: pa.DataType, meaning: str) -> pa.Field:
    return pa.field(name, kind, metadata={"meaning": meaning})


_ID = pa.int64()
_TIME = pa.timestamp("us", tz="UTC")
_TEXT = pa.large_string()
_FLAG = pa.bool_()

TABLES: Final[dict[str, pa.Schema]] = {
    "runs": pa.schema(
        [
            _field("run_id", _ID, "GitHub's run id"),
            _field("workflow", _TEXT, "the workflow file name the run belongs to"),
            _field("run_number", _ID, "the run's number in its workflow"),
            _field("run_attempt", _ID, "the latest attempt (reruns count up)"),
            _field("name", _TEXT, "the run's name"),
            _field("event", _TEXT, "the triggering event"),
            _field("status", _TEXT, "queued, in_progress or completed"),
            _field("conclusion", _TEXT, "success, failure, cancelled … (empty while running)"),
            _field("head_branch", _TEXT, "the branch the run ran on"),
            _field("head_sha", _TEXT, "the commit the run ran on"),
            _field("head_repo", _TEXT, "the head repository's full name (a fork's for fork PRs)"),
            _field("base_repo", _TEXT, "the base repository's full name (as GitHub spells it)"),
            _field("is_fork_pr", _FLAG, "a pull request from another repository"),
            _field("pull_requests", _TEXT, "comma-separated PR numbers GitHub lists for the run"),
            _field("actor", _TEXT, "who triggered the run"),
            _field("created_at", _TIME, "when the run was created"),
            _field("updated_at", _TIME, "when the run last changed"),
            _field("run_started_at", _TIME, "when the latest attempt started"),
            _field("html_url", _TEXT, "the run's page"),
            _field("jobs_attempt", _ID, "the attempt whose jobs are stored (0: none yet)"),
        ]
    ),
    "jobs": pa.schema(
        [
            _field("job_id", _ID, "GitHub's job id (one row per job attempt)"),
            _field("run_id", _ID, "the run the job belongs to"),
            _field("run_attempt", _ID, "the attempt the job ran in"),
            _field("name", _TEXT, "the job's name"),
            _field("status", _TEXT, "queued, in_progress or completed"),
            _field("conclusion", _TEXT, "success, failure, skipped …"),
            _field("started_at", _TIME, "when the job started"),
            _field("completed_at", _TIME, "when the job completed"),
            _field("html_url", _TEXT, "the job's page"),
            _field("has_codex", _FLAG, "a step of the job is a Codex step"),
            _field("has_db_test", _FLAG, "the job (not a Codex job) runs the DB tests"),
            _field("hardened", _FLAG, "the job carries the kit's steps"),
            _field("codex_conclusion", _TEXT, "the first Codex step's conclusion"),
            _field("preflight_conclusion", _TEXT, "the kit's preflight step's conclusion"),
            _field("contract_conclusion", _TEXT, "the kit's output-contract step's conclusion (success = it ran)"),
            _field("needs_log", _FLAG, "a Codex or DB-test job that did not clearly succeed"),
            _field("log_status", _TEXT, "one of LogStatus"),
        ]
    ),
    "steps": pa.schema(
        [
            _field("job_id", _ID, "the job the step belongs to"),
            _field("run_id", _ID, "the run the step belongs to"),
            _field("number", _ID, "the step's number in its job"),
            _field("name", _TEXT, "the step's name as the runner shows it"),
            _field("status", _TEXT, "queued, in_progress or completed"),
            _field("conclusion", _TEXT, "success, failure, skipped …"),
            _field("started_at", _TIME, "when the step started"),
            _field("completed_at", _TIME, "when the step completed"),
            _field("is_codex", _FLAG, "the step runs openai/codex-action"),
            _field("kit_step", _TEXT, "the kit step's name, when it is one"),
        ]
    ),
    "log_lines": pa.schema(
        [
            _field("job_id", _ID, "the job whose log holds the line"),
            _field("run_id", _ID, "the run of that job"),
            _field("line_no", _ID, "the line's number in the log (negative: the job's n-th last kit annotation)"),
            _field("group", _TEXT, "the `##[group]Run …` header above the line"),
            _field("text", _TEXT, "the line, timestamp and ANSI codes removed"),
        ]
    ),
}
KEYS: Final[dict[str, list[str]]] = {
    "runs": ["run_id"],
    "jobs": ["job_id"],
    "steps": ["job_id", "number"],
    "log_lines": ["job_id", "line_no"],
}
COLUMNS: Final[dict[str, list[str]]] = {name: schema.names for name, schema in TABLES.items()}


def file_schema(name: str) -> pa.Schema:
    """Table `name`'s schema as written to its Parquet file: with the schema version and the table's name."""
    return TABLES[name].with_metadata({VERSION_KEY: str(SCHEMA_VERSION).encode(), TABLE_KEY: name.encode()})


def typed(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with exactly table `name`'s columns, each in the dtype its schema gives (gaps filled)."""
    frame = frame.copy()
    for column in TABLES[name]:
        if column.name not in frame:
            frame[column.name] = None
        values = frame[column.name]
        if _already(values, column.type):
            continue  # as read from a table file: nothing to convert (a report reads hundreds of thousands of rows)
        if pa.types.is_timestamp(column.type):
            frame[column.name] = pd.to_datetime(values, utc=True, errors="coerce", format="ISO8601")
        elif pa.types.is_integer(column.type):
            frame[column.name] = values.fillna(0).astype("int64")
        elif pa.types.is_boolean(column.type):
            frame[column.name] = values.fillna(False).astype(bool)
        else:
            frame[column.name] = values.fillna("").astype(str)
    return frame[COLUMNS[name]]


def _already(values: pd.Series, kind: pa.DataType) -> bool:
    """Whether `typed` would leave this column as it is: the dtype it gives, and no gap to fill."""
    dtype = values.dtype
    if pa.types.is_timestamp(kind):
        return isinstance(dtype, pd.DatetimeTZDtype) and str(dtype.tz) == "UTC"
    if pa.types.is_integer(kind):
        return dtype == "int64"
    if pa.types.is_boolean(kind):
        return dtype == "bool"
    # The tables' strings are pandas' "str" (missing is NaN), not "string" (missing is pd.NA, whose truth is an error).
    return isinstance(dtype, pd.StringDtype) and dtype.na_value is np.nan and not values.hasnans
