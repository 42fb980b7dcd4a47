"""What `codex-kit patch --org` costs: requests per repository (reads, writes) and seconds, first run and second.

Run: .venv/bin/python benchmarks/patch_pr_bench.py [--repos 5 50] [--db-files 0 20]

Everything talks HTTP to the tests' fake GitHub server on loopback. Each repository holds the sample
target (one workflow with three Codex steps, five SQL/Python files of which two are the DB policy
tests) plus `--db-files` more Python files, which the DB-test search reads (one blob each) when
`[tool.codex-kit] db-tests` does not name the files.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kit.publish.deliver import deliver_patches
from tests.support.fake_github import FakeGitHub

TOKEN = "bench-token"
SAMPLE = Path(__file__).resolve().parents[1] / "tests" / "sample_target"


def build(count: int, extra: int) -> tuple[FakeGitHub, list[FakeGitHub]]:
    files = {p.relative_to(SAMPLE).as_posix(): p.read_text() for p in SAMPLE.rglob("*") if p.is_file()}
    files |= {f"app/module_{n}.py": f"def f{n}():\n    return {n}\n" for n in range(extra)}
    fake = FakeGitHub("bench/repo-000", token=TOKEN)
    repos = [fake] + [fake.add_repo(f"bench/repo-{n:03d}") for n in range(1, count)]
    for repo in repos:
        repo.listing.set_files(files)
    return fake, repos


def run(fake: FakeGitHub, repos: list[FakeGitHub]) -> tuple[int, int, float]:
    """(requests sent, writes among them, seconds) of one `patch --org bench`."""
    start, writes, began = len(fake.requests), sum(len(r.publishing.writes) for r in repos), time.perf_counter()
    outcome = deliver_patches([], org="bench", token=TOKEN, api_url=fake.url)
    assert not outcome.failed, [d.error for d in outcome.failed]
    seconds = time.perf_counter() - began
    return len(fake.requests) - start, sum(len(r.publishing.writes) for r in repos) - writes, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repos", type=int, nargs="+", default=[5, 50])
    parser.add_argument("--db-files", type=int, nargs="+", default=[0, 20])
    args = parser.parse_args()
    print("| repositories | extra .py files each | run | requests (per repo) | writes (per repo) | seconds |")
    print("|---|---|---|---|---|---|")
    for count in args.repos:
        for extra in args.db_files:
            fake, repos = build(count, extra)
            with fake:
                for label in ("first", "second"):
                    sent, wrote, seconds = run(fake, repos)
                    each = f"{sent} ({sent / count:.1f}) | {wrote} ({wrote / count:.1f})"
                    print(f"| {count} | {extra} | {label} | {each} | {seconds:.2f} |")


if __name__ == "__main__":
    main()
