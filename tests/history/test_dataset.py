"""The cache root is one hive-partitioned Parquet dataset that other readers open as it stands.

Two repositories are fetched into one root (the shipped sample's generator and a fetch from the
fake GitHub); pyarrow.dataset, DuckDB and an fsspec URL then read them back without codex-kit's
manifest, and each repository's rows are exactly the ones `HistoryCache` reads for it.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from kit.errors import CacheError, UsageError
from kit.history.cache import HistoryCache, cache_folder, cached_repos
from kit.history.client import GitHubClient
from kit.history.dataset import open_dataset
from kit.history.fetch import Fetcher
from kit.history.schema import COLUMNS, KEYS, PARTITION, SCHEMA_VERSION, TABLES
from kit.sample import REPO as SAMPLE
from kit.sample import Scenario, write_sample
from tests.support.cache_files import table_path
from tests.support.fake_github import FakeGitHub
from tests.support.history_builder import REPO, populate


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    """acme/ledger (the sample's generator, 15 days) and octo/app (10 runs fetched) in one cache root."""
    root = tmp_path_factory.mktemp("dataset") / "cache"
    write_sample(root, Scenario(days=15, cutover_day=7))
    with FakeGitHub(REPO) as fake:
        populate(fake, 10, seed=11, hardened_after=1005)
        client = GitHubClient(REPO, api_url=fake.url, token=None, sleep=lambda s: None)
        Fetcher(client, HistoryCache(cache_folder(root, REPO)), "invariants.yml", progress=False).run()
    return root


def _own(root: Path, repo: str, table: str) -> pd.DataFrame:
    return HistoryCache(cache_folder(root, repo)).load().table(table)


@pytest.mark.parametrize("table", list(TABLES))
def test_the_dataset_is_read_back_by_pyarrow_with_a_partition_filter(root: Path, table: str) -> None:
    for repo, slug in ((SAMPLE, "acme__ledger"), (REPO, "octo__app")):
        got = ds.dataset(root / table, format="parquet", partitioning="hive").to_table(filter=ds.field("repo") == slug)
        own = _own(root, repo, table)
        assert got.num_rows == len(own) > 0
        assert set(got.column(PARTITION).to_pylist()) == {slug}
        keys = got.select(KEYS[table]).to_pandas().sort_values(KEYS[table]).reset_index(drop=True)
        pd.testing.assert_frame_equal(keys, own[KEYS[table]].reset_index(drop=True))


def test_open_dataset_gives_every_column_and_the_partition(root: Path) -> None:
    runs = open_dataset(root, "runs")
    assert runs.schema.names == [*COLUMNS["runs"], PARTITION]
    both = runs.to_table(columns=[PARTITION, "run_id"]).to_pandas()
    assert both.groupby(PARTITION).size().to_dict() == {
        "acme__ledger": len(_own(root, SAMPLE, "runs")),
        "octo__app": 10,
    }
    ledger = runs.to_table(filter=ds.field(PARTITION) == "acme__ledger").to_pandas()
    assert (ledger["base_repo"] == SAMPLE).all()
    assert open_dataset(root.parent / "nothing-here", "jobs").to_table().num_rows == 0
    with pytest.raises(UsageError, match="no table 'run'"):
        open_dataset(root, "run")


def test_duckdb_reads_the_dataset_with_hive_partitioning(root: Path) -> None:
    duckdb = pytest.importorskip("duckdb")
    query = (
        f"SELECT repo, count(*) AS runs, count(DISTINCT run_id) AS ids FROM "
        f"read_parquet('{root}/runs/*/*.parquet', hive_partitioning = true) GROUP BY repo ORDER BY repo"
    )
    rows = duckdb.sql(query).fetchall()
    sample_runs = len(_own(root, SAMPLE, "runs"))
    assert rows == [("acme__ledger", sample_runs, sample_runs), ("octo__app", 10, 10)]
    jobs = duckdb.sql(
        f"SELECT count(*) FROM read_parquet('{root}/jobs/*/*.parquet', hive_partitioning = true) "
        "WHERE repo = 'octo__app'"
    ).fetchall()
    assert jobs == [(len(_own(root, REPO, "jobs")),)]


def test_an_fsspec_url_is_read_like_a_folder(root: Path) -> None:
    fsspec = pytest.importorskip("fsspec")
    memory = fsspec.filesystem("memory")
    for path in root.rglob("*.parquet"):
        memory.pipe(f"/team/cache/{path.relative_to(root).as_posix()}", path.read_bytes())
    try:
        runs = open_dataset("memory://team/cache", "runs").to_table(filter=ds.field("repo") == "octo__app")
        assert sorted(runs.column("run_id").to_pylist()) == sorted(_own(root, REPO, "runs")["run_id"])
    finally:
        memory.rm("/team", recursive=True)


def test_each_file_carries_the_schema_version_and_not_the_partition_column(root: Path) -> None:
    for name in TABLES:
        schema = pq.read_schema(table_path(root, name))
        assert PARTITION not in schema.names and schema.names == COLUMNS[name]
        assert schema.metadata[b"codex_kit.schema_version"] == str(SCHEMA_VERSION).encode()
        assert schema.metadata[b"codex_kit.table"] == name.encode()
        assert all(schema.field(f).metadata[b"meaning"] for f in schema.names), "each column says what it means"


def test_dataset_json_describes_every_table_column_and_the_partitioning(root: Path) -> None:
    described = json.loads((root / "_dataset.json").read_text())
    assert described["schema_version"] == SCHEMA_VERSION and described["format"] == "parquet"
    assert described["partitioning"]["flavor"] == "hive" and described["partitioning"]["column"] == PARTITION
    for name, table in described["tables"].items():
        assert [c["name"] for c in table["columns"]] == COLUMNS[name] and all(c["meaning"] for c in table["columns"])
        assert table["path"] == f"{name}/repo=<owner>__<name>/part-0.parquet" and table["key"] == KEYS[name]
    assert set(described["tables"]) == set(TABLES)


def test_a_file_of_another_schema_version_is_named_not_read_with_empty_columns(tmp_path: Path) -> None:
    older = tmp_path / "runs" / "repo=octo__app" / "part-0.parquet"
    older.parent.mkdir(parents=True)
    shutil.copy(Path(__file__).parent / "fixtures" / "v1_cache" / "octo__app" / "runs.parquet", older)
    with pytest.raises(CacheError, match=rf"^{older}: written with cache schema version none, not {SCHEMA_VERSION}"):
        open_dataset(tmp_path, "runs")


def test_no_table_holds_a_column_named_like_the_partition() -> None:
    assert all(PARTITION not in names for names in COLUMNS.values())


def test_cached_repos_lists_every_repository_of_a_root(root: Path, tmp_path: Path) -> None:
    assert cached_repos(root) == ["acme/ledger", "octo/app"]
    assert cached_repos(tmp_path / "none") == []
