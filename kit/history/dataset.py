"""The cache root as one Parquet dataset: described for any reader, opened for readers of many repositories.

`HistoryCache` reads one repository's files by their paths and checks them against its manifest;
a reader that wants every repository at once (a team's dashboard, a notebook, DuckDB or Spark
elsewhere) opens `<root>/<table>` as a hive-partitioned dataset instead, filtering on `repo`. The
root may be an fsspec URL (`s3://bucket/codex-kit`, `memory://…`) when fsspec (and the filesystem's
own package, such as s3fs) is installed. Nothing here writes, and nothing here trusts a manifest:
it reads what the files say.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.dataset as ds

from kit.errors import CacheError, UsageError
from kit.history import layout
from kit.history.schema import KEYS, PARTITION, SCHEMA_VERSION, TABLES, VERSION_KEY

PARTITIONING = ds.partitioning(pa.schema([pa.field(PARTITION, pa.string())]), flavor="hive")


def describe_dataset() -> dict[str, Any]:
    """`_dataset.json`: what a query engine (or a person) needs to read the tables without codex-kit."""
    return {
        "format": "parquet",
        "schema_version": SCHEMA_VERSION,
        "partitioning": {
            "flavor": "hive",
            "column": PARTITION,
            "type": "string",
            "meaning": "the repository, as `<owner>__<name>` lower-cased; a path segment, never a column in a file",
        },
        "tables": {
            name: {
                "path": f"{name}/{PARTITION}=<owner>__<name>/{layout.PART}",
                "key": KEYS[name],
                "columns": [
                    {"name": f.name, "type": str(f.type), "meaning": (f.metadata or {}).get(b"meaning", b"").decode()}
                    for f in schema
                ],
            }
            for name, schema in TABLES.items()
        },
        "file_metadata": f"each file's Parquet key-value metadata holds {VERSION_KEY.decode()}",
        "not_part_of_the_dataset": f"{layout.REPOS}/<owner>__<name>/ holds each repository's {layout.STATE} (the "
        f"manifest: each partition file's SHA-256), {layout.LOGS}/ (raw job logs) and {layout.LOCK}",
    }


def open_dataset(root: str | Path, table: str) -> ds.Dataset:
    """`<root>/<table>` across every repository, with the partition column `repo` (`<owner>__<name>`).

    The schema is the table's own (plus `repo`), so an empty root still has every column; a file of
    another schema version (each file's footer says which) is an error naming it, never read with
    its renamed columns silently empty.
    """
    if table not in TABLES:
        raise UsageError(f"no table {table!r} in the history dataset (one of {', '.join(TABLES)})")
    filesystem, base = _filesystem(root)
    schema = TABLES[table].append(pa.field(PARTITION, pa.string()))
    try:
        dataset = ds.dataset(
            f"{base}/{table}", schema=schema, format="parquet", partitioning=PARTITIONING, filesystem=filesystem
        )
        for fragment in dataset.get_fragments():
            version = (fragment.physical_schema.metadata or {}).get(VERSION_KEY, b"none").decode("ascii", "replace")
            if version != str(SCHEMA_VERSION):
                raise CacheError(
                    f"{fragment.path}: written with cache schema version {version}, not {SCHEMA_VERSION}; run "
                    "`codex-kit fetch` for that repository with this codex-kit to rewrite it"
                )
    except FileNotFoundError:
        return ds.dataset([], schema=schema, format="parquet", filesystem=filesystem)
    except (OSError, pa.ArrowException) as err:
        raise CacheError(f"{base}/{table}: cannot be read as a dataset ({err})") from err
    return dataset


def _filesystem(root: str | Path) -> tuple[Any, str]:
    """(filesystem, path) for a local folder (None: pyarrow's own) or an fsspec URL."""
    text = str(root)
    if "://" not in text:
        return None, str(Path(text).expanduser().resolve()).rstrip("/")
    try:
        import fsspec
    except ImportError as err:
        raise UsageError(f"{text}: reading a URL needs fsspec (pip install fsspec, and s3fs for s3://…)") from err
    try:
        filesystem, path = fsspec.core.url_to_fs(text)
    except (ImportError, ValueError) as err:
        raise UsageError(f"{text}: {err}") from err
    return filesystem, path.rstrip("/")
