"""Time and memory of the team report: a first one (every dashboard made), an immediate re-run (every
dashboard reused) and a re-run after a few repositories' histories changed (only those made again).

Run: .venv/bin/python benchmarks/team_bench.py [--repos 100] [--runs 10000] [--workers 2] [--changed 5]

The histories are generated once and saved straight into the cache dataset under every repository's
name, as benchmarks/dataset_bench.py does (its generator, not a copy). Each team report runs in a
fresh process of its own, so its figures are its own: wall time, the peak memory of that process
(the team report, the overview and the fingerprints) and of its largest child (a report worker or a
notebook kernel). With `--workers` dashboards made at once, each a worker and its kernel, the
memory in use at once is at most the first plus 2 * workers * the second: that bound is printed too.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pandas as pd
from dataset_bench import save_team, team_history

from kit.analysis.parameters import ReportParameters
from kit.history.teamrecord import Outcome, RepoEntry
from kit.report.team import run_team_report


def peak_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


def one_report(repos: list[str], cache: str, out: str, workers: int) -> dict:
    """One team report (in a fresh process): what it did and what it cost."""
    entries = [RepoEntry(repo, ["invariants.yml"], Outcome.FETCHED) for repo in repos]
    params = ReportParameters(workflow="invariants.yml", cache_dir=cache, out_dir=out)
    began = time.perf_counter()
    result = run_team_report(entries, params, workers=workers)
    return {
        "seconds": time.perf_counter() - began,
        "made": result.notebooks,
        "reused": result.reused,
        "states": dict(Counter(row.state for row in result.rows)),
        "self_mb": peak_mb(resource.RUSAGE_SELF),
        "child_mb": peak_mb(resource.RUSAGE_CHILDREN),
    }


def measured(label: str, repos: list[str], cache: Path, out: Path, workers: int) -> dict:
    # An executor's process, not a Pool's: a Pool's are daemons, which may not start the report's own workers.
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        figures = pool.submit(one_report, repos, str(cache), str(out), workers).result()
    bound = (figures["self_mb"] + 2 * workers * figures["child_mb"]) / 1024
    print(
        f"{label}: {figures['seconds']:.1f} s, {figures['made']} dashboards made, {figures['reused']} reused "
        f"{figures['states']}; peak memory: team process {figures['self_mb']:.0f} MB, largest worker or kernel "
        f"{figures['child_mb']:.0f} MB, at most {bound:.1f} GiB at once",
        flush=True,
    )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=int, default=100)
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--changed", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        cache, out = Path(folder) / "cache", Path(folder) / "site"
        began = time.perf_counter()
        history = team_history(args.runs)
        repos = [f"bench/repo-{number:03d}" for number in range(args.repos)]
        save_team(cache, repos, history)
        print(f"{args.repos} repositories x {len(history.runs):,} runs ({args.repos * len(history.runs):,} runs) "
              f"cached in {time.perf_counter() - began:.1f} s", flush=True)  # fmt: skip
        measured("(a) first team report", repos, cache, out, args.workers)
        measured("(b) immediate re-run", repos, cache, out, args.workers)
        # A later fetch brought each of a few repositories one more run (here: the last run saved again as a new one).
        last = history.runs.tail(1).assign(run_id=history.runs["run_id"].max() + 1)
        history.runs = pd.concat([history.runs, last], ignore_index=True)
        save_team(cache, repos[: args.changed], history)
        measured(f"(c) re-run after {args.changed} repositories changed", repos, cache, out, args.workers)
        size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file()) / 2**20
        print(f"team folder: {size:.1f} MiB")


if __name__ == "__main__":
    main()
