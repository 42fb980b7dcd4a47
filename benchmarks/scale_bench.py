"""Time and memory of the analysis and the report on large generated histories.

Run: .venv/bin/python benchmarks/scale_bench.py [--runs 100000] [--report-runs 10000 100000]

The history is the sample generator's story stretched to more runs a day (same categories, same
log lines), so the classifier does the same work per job as on a real history.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kit.analysis.classify import classify
from kit.analysis.criteria import analyse
from kit.analysis.parameters import ReportParameters
from kit.history.cache import HistoryCache, cache_folder
from kit.report.run import run_report
from kit.sample import REPO, Scenario, generate


def scenario(runs: int) -> Scenario:
    return Scenario(days=90, cutover_day=45, runs_per_day=max(runs // 90, 2))


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def analysis_at_scale(runs: int) -> None:
    began = time.perf_counter()
    generated = generate(scenario(runs))
    history = generated.history()
    built = time.perf_counter() - began
    lines = len(history.log_lines)
    began = time.perf_counter()
    failures = classify(history)
    classified = time.perf_counter() - began
    began = time.perf_counter()
    result = analyse(history)
    analysed = time.perf_counter() - began
    print(f"\n{len(history.runs)} runs, {len(history.jobs)} job attempts, {lines} kept log lines "
          f"(generated in {built:.1f} s)")  # fmt: skip
    print(f"  classify {len(failures)} failing job attempts: {classified:.2f} s")
    print(f"  full analysis (cutover, classification, five criteria, rates): {analysed:.2f} s")
    print(f"  verdicts: {', '.join(v.status for v in result.verdicts)}; peak memory so far {peak_mb():.0f} MB")


def report_at_scale(runs: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        history = generate(scenario(runs)).history()
        HistoryCache(cache_folder(root / "cache", REPO)).save(history)
        result = run_report(ReportParameters(repo=REPO, cache_dir=str(root / "cache"), out_dir=str(root / "out")))
        size = result.html.stat().st_size / 1024
        print(
            f"\nreport on {len(history.runs)} runs: {result.seconds:.1f} s (papermill + nbconvert), HTML {size:.0f} KB"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--report-runs", type=int, nargs="*", default=[10_000, 100_000])
    args = parser.parse_args()
    analysis_at_scale(args.runs)
    for runs in args.report_runs:
        report_at_scale(runs)


if __name__ == "__main__":
    main()
