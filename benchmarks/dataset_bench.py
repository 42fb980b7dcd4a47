"""Time and memory of the cache as a dataset: saves, reads across repositories, DuckDB, and moving an old root.

Run: .venv/bin/python benchmarks/dataset_bench.py [--repos 20] [--runs 10000]

One generated history (the sample's story stretched to `--runs` runs) is saved under `--repos`
repository names into one cache root, so every repository's partition is the size of a busy one.
Then: a scan of every repository through `open_dataset`, one repository by its partition filter
and through `HistoryCache`, a DuckDB query over the jobs, and the move of a root in the previous
layout (the same tables under version 1's file names) into the dataset layout.
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from kit.history.cache import HistoryCache, cache_folder
from kit.history.dataset import open_dataset
from kit.history.migrate import migrate_root
from kit.history.schema import KEYS, TABLES
from kit.sample import Scenario, generate


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(action):
    began = time.perf_counter()
    value = action()
    return value, time.perf_counter() - began


def save_team(root: Path, repos: list[str], history) -> None:
    """The same history saved under each repository's name into one cache root: every partition a busy one's size."""
    for repo in repos:
        HistoryCache(cache_folder(root, repo)).save(history)


def team_history(runs: int):
    """The sample's story stretched to about `runs` runs (generated once, saved under every name)."""
    return generate(Scenario(days=90, cutover_day=45, runs_per_day=max(runs // 90, 2))).history()


def write_v1(folder: Path, history) -> None:
    """The previous layout: `<owner>__<name>/<table>.parquet` with the runs' base repository in `repo`."""
    folder.mkdir(parents=True)
    for name in KEYS:
        table = history.table(name)
        if name == "runs":
            table = table.rename(columns={"base_repo": "repo"})
        buffer = io.BytesIO()
        pq.write_table(pa.Table.from_pandas(table, preserve_index=False), buffer)
        (folder / f"{name}.parquet").write_bytes(buffer.getvalue())
    (folder / "state.json").write_text(json.dumps({"schema_version": 1, "etags": {}}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repos", type=int, default=20)
    parser.add_argument("--runs", type=int, default=10_000)
    args = parser.parse_args()
    history = team_history(args.runs)
    print(f"{args.repos} repositories x {len(history.runs)} runs ({len(history.jobs)} job attempts each)")
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "cache"
        repos = [f"team{n:03d}/service" for n in range(args.repos)]
        _, saved = timed(lambda: save_team(root, repos, history))
        size = sum(p.stat().st_size for p in root.rglob("*.parquet")) / 2**20
        print(f"  save, every repository: {saved:.1f} s ({saved / args.repos * 1000:.0f} ms each); {size:.0f} MiB")
        runs, scan = timed(lambda: open_dataset(root, "runs").to_table())
        jobs, scan_jobs = timed(lambda: open_dataset(root, "jobs").to_table(columns=["job_id", "conclusion", "repo"]))
        print(
            f"  open_dataset scan: runs {runs.num_rows:,} rows {scan:.2f} s; "
            f"jobs {jobs.num_rows:,} rows {scan_jobs:.2f} s"
        )
        one, filtered = timed(
            lambda: open_dataset(root, "runs").to_table(filter=ds.field("repo") == "team007__service")
        )
        _, own = timed(lambda: HistoryCache(cache_folder(root, "team007/service")).load())
        print(
            f"  one repository: partition filter {one.num_rows:,} rows {filtered:.2f} s; HistoryCache.load {own:.2f} s"
        )
        try:
            import duckdb

            query = (
                f"SELECT repo, count(*) FILTER (WHERE conclusion = 'failure') FROM "
                f"read_parquet('{root}/jobs/*/*.parquet', hive_partitioning = true) GROUP BY repo"
            )
            rows, took = timed(lambda: duckdb.sql(query).fetchall())
            print(f"  DuckDB failures per repository over every jobs partition: {len(rows)} rows {took:.2f} s")
        except ImportError:
            print("  DuckDB not installed: skipped")
        old = Path(folder) / "old"
        for repo in repos[:5]:
            write_v1(old / repo.replace("/", "__"), history)
        moved, took = timed(lambda: migrate_root(old, say=lambda message: None))
        print(f"  move {len(moved)} repositories of the previous layout: {took:.1f} s ({took / len(moved):.2f} s each)")
    print(f"  peak memory {peak_mb():.0f} MB; tables: {', '.join(TABLES)}")


if __name__ == "__main__":
    main()
