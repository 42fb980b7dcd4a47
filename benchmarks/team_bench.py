"""Time and memory of the team report: many repositories' dashboards and the overview over them.

Run: .venv/bin/python benchmarks/team_bench.py [--repos 20] [--runs 1000] [--workers 2]

Each repository's cache is the sample generator's story (same categories and log lines as the
shipped sample) at about `--runs` runs, written straight into the cache (no fetch). The team report
renders each repository's notebook once, `--workers` at a time, then builds the overview from the
report.json files they wrote; the figures say how long each part took and the peak memory of this
process and of its children (the report workers and their kernels).
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pandas as pd

from kit.analysis.parameters import ReportParameters
from kit.history.cache import HistoryCache, cache_folder
from kit.history.teamrecord import Outcome, RepoEntry
from kit.report.overview import overview_html, team_json
from kit.report.team import run_team_report
from kit.sample import Scenario, generate


def peak_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


def build(root: Path, repos: int, runs: int) -> list[RepoEntry]:
    history = generate(Scenario(days=90, cutover_day=45, runs_per_day=max(runs // 90, 2))).history()
    entries = []
    for number in range(repos):
        repo = f"bench/repo-{number:03d}"
        HistoryCache(cache_folder(root, repo)).save(history)
        entries.append(RepoEntry(repo, ["invariants.yml"], Outcome.FETCHED))
    return entries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=int, default=20)
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        began = time.perf_counter()
        entries = build(root / "cache", args.repos, args.runs)
        runs = len(HistoryCache(cache_folder(root / "cache", entries[0].repo)).load().runs)
        print(f"{args.repos} repositories x {runs} runs cached in {time.perf_counter() - began:.1f} s")
        params = ReportParameters(cache_dir=str(root / "cache"), out_dir=str(root / "site"))
        result = run_team_report(entries, params, workers=args.workers)
        began = time.perf_counter()
        made_at = pd.Timestamp.now(tz="UTC")
        team_json(result.rows, made_at)
        overview_html(result.rows, made_at)
        overview = time.perf_counter() - began
        states = Counter(row.state for row in result.rows)
        print(f"rows: {dict(states)}")
        size = sum(p.stat().st_size for p in (root / "site").rglob("*") if p.is_file()) / 2**20
        each = result.seconds / result.notebooks
        print(f"team report: {result.seconds:.1f} s for {result.notebooks} dashboards ({args.workers} at a time), "
              f"{each:.1f} s a dashboard; the overview alone {overview:.2f} s")  # fmt: skip
        print(f"folder: {size:.1f} MiB; peak memory: this process {peak_mb(resource.RUSAGE_SELF):.0f} MB, "
              f"largest child (a worker or a kernel) {peak_mb(resource.RUSAGE_CHILDREN):.0f} MB")  # fmt: skip


if __name__ == "__main__":
    main()
