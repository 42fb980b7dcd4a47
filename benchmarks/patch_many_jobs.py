"""Time `codex-kit patch` on one workflow with many Codex jobs: is it near-linear?

Run: .venv/bin/python benchmarks/patch_many_jobs.py [--jobs 250 500 1000 2000] [--diff]

Each job has a checkout, a Codex step with an output file, a step that gates on that file and an
artifact upload: every transform has work to do. For each size it prints the time of a first run
(writing, no diff, as `codex-kit patch` does), of a second run on the result (which must change
nothing, as `codex-kit patch --check` after it), the bytes before and after, and the time per job
relative to the smallest size (near 1.0 means linear). `--diff` also times the unified diff, which
the CLI computes only for `--diff` and `--json`.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kit.patch.repo import patch_repo

JOB = """\
  review-{n}:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - name: Codex review {n}
        uses: openai/codex-action@v1
        with:
          openai-api-key: ${{{{ secrets.OPENAI_API_KEY }}}}
          prompt: Review part {n}.
          output-file: review-{n}.md
      - name: Require the review
        run: |
          if [ ! -s review-{n}.md ]; then
            echo "::error::no review"
            exit 1
          fi
      - uses: actions/upload-artifact@v4
        with:
          name: review-{n}
          path: review-{n}.md
"""


def workflow(jobs: int) -> str:
    return "name: many\non: [push, pull_request]\njobs:\n" + "".join(JOB.format(n=n) for n in range(jobs))


def measure(jobs: int, diff: bool) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        target = root / ".github" / "workflows" / "many.yml"
        target.parent.mkdir(parents=True)
        target.write_text(workflow(jobs))
        before = target.stat().st_size
        began = time.perf_counter()
        first = patch_repo(root, write=True, diff=False)
        first_s = time.perf_counter() - began
        assert [f.status for f in first.files] == ["patched"], [f.error for f in first.files]
        after = target.stat().st_size
        began = time.perf_counter()
        second = patch_repo(root, write=False, diff=False)
        second_s = time.perf_counter() - began
        assert [f.status for f in second.files] == ["unchanged"], "a second run must change nothing"
        figures = {"first": first_s, "second": second_s, "before": before, "after": after}
        if diff:
            target.write_text(workflow(jobs))
            began = time.perf_counter()
            patch_repo(root, write=False, diff=True)
            figures["diff"] = time.perf_counter() - began
        return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, nargs="+", default=[250, 500, 1000, 2000])
    parser.add_argument("--diff", action="store_true", help="also time a run that computes the unified diff")
    args = parser.parse_args()
    print(
        "| jobs | first run | per job | vs smallest | second run (no change) | bytes before → after |"
        + (" a --diff run (patch + diff, no write) |" if args.diff else "")
    )
    print("|---|---|---|---|---|---|" + ("---|" if args.diff else ""))
    base = None
    for jobs in sorted(args.jobs):
        got = measure(jobs, args.diff)
        per_job = got["first"] / jobs
        base = base or per_job
        row = (
            f"| {jobs:,} | {got['first']:.1f} s | {per_job * 1000:.1f} ms | {per_job / base:.2f}x | "
            f"{got['second']:.1f} s | {got['before'] / 1e6:.1f} MB → {got['after'] / 1e6:.1f} MB |"
        )
        print(row + (f" {got['diff']:.1f} s |" if args.diff else ""), flush=True)


if __name__ == "__main__":
    main()
