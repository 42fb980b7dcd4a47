"""What a hostile or simply huge answer costs the fetch: peak memory and time, against the fake GitHub.

Run: .venv/bin/python benchmarks/limits_bench.py [--log-mb 100] [--compare-with DIR]

Each fetch runs as `codex-kit fetch` in its own process against the tests' fake GitHub server
(real HTTP on loopback); its peak resident memory is its own VmHWM, read at exit (`ru_maxrss`
would count the benchmark process, which holds the log, from before the exec). The
history is 10 runs; one failing Codex job's log is made `--log-mb` megabytes of realistic lines.
`--compare-with DIR` runs the same fetch with the `kit` package found in DIR (e.g. an export of
an older commit), for a before/after figure. Also timed: a server that drips its answer a byte
every 50 ms (stopped at the 2 s deadline of this run) and a gzip bomb that inflates to 1 GiB
(refused at the 32 MiB cap; most of its time is the fake compressing the bomb).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kit.errors import GitHubError  # noqa: E402
from kit.history.cache import HistoryCache, cache_folder  # noqa: E402
from kit.history.client import GitHubClient  # noqa: E402
from kit.history.fetch import Fetcher  # noqa: E402
from tests.support.fake_github import FakeGitHub, Fault  # noqa: E402
from tests.support.history_builder import REPO, populate  # noqa: E402

WORKFLOW = "invariants.yml"
LINE = "2026-06-01T00:00:00.1234567Z \x1b[36;1mprocessing item {n} of the review queue\x1b[0m\r\n"


def big_log(megabytes: int, tail: str) -> bytes:
    """`megabytes` of timestamped CRLF lines, then the job's real failing tail."""
    block = "".join(LINE.format(n=n) for n in range(1000)).encode()
    count = megabytes * 2**20 // len(block)
    return b"\xef\xbb\xbf" + block * count + tail.encode()


PEAK_AT_EXIT = (
    "import atexit, runpy, sys\n"
    "def peak():\n"
    "    status = open('/proc/self/status').read()\n"
    "    print('VmHWM', status.split('VmHWM:')[1].split()[0], file=sys.stderr)\n"
    "atexit.register(peak)\n"
    "runpy.run_module('kit.cli', run_name='__main__', alter_sys=True)\n"
)


def peak_fetch(fake: FakeGitHub, package_root: Path) -> tuple[float, float, int]:
    """(seconds, peak MiB, exit code) of one `codex-kit fetch` with `kit` from `package_root`."""
    cache = Path(tempfile.mkdtemp())
    env = {**os.environ, "PYTHONPATH": f"{package_root}:{ROOT}", "GITHUB_TOKEN": "bench-token"}
    began = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", PEAK_AT_EXIT, "fetch", "--repo", REPO, "--cache", str(cache), "--api-url", fake.url],
        env=env, cwd=cache, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    seconds = time.perf_counter() - began
    if done.returncode:
        print(done.stderr[-500:])
    peak = int(done.stderr.split("VmHWM")[-1].split()[0]) / 1024
    return seconds, peak, done.returncode


def timed_refusal(fake: FakeGitHub, **limits) -> tuple[float, str]:
    client = GitHubClient(REPO, api_url=fake.url, sleep=lambda s: None, **limits)
    began = time.perf_counter()
    try:
        Fetcher(client, HistoryCache(cache_folder(Path(tempfile.mkdtemp()), REPO)), WORKFLOW, progress=False).run()
    except GitHubError as err:
        return time.perf_counter() - began, str(err)
    return time.perf_counter() - began, "(not refused)"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--log-mb", type=int, default=100)
    parser.add_argument("--compare-with", type=Path)
    args = parser.parse_args()
    with FakeGitHub(REPO, token="bench-token") as fake:
        populate(fake, 10, seed=11)
        small = peak_fetch(fake, ROOT)
        job = sorted(fake.logs)[0]
        fake.logs[job] = big_log(args.log_mb, fake.logs[job])
        print(f"log of job {job}: {len(fake.logs[job]) / 2**20:.0f} MiB")
        print(f"this tree, small logs only: {small[0]:.1f} s, peak {small[1]:.0f} MiB")
        seconds, peak, code = peak_fetch(fake, ROOT)
        print(f"this tree, one {args.log_mb} MB log: {seconds:.1f} s, peak {peak:.0f} MiB (exit {code})")
        if args.compare_with:
            seconds, peak, code = peak_fetch(fake, args.compare_with)
            print(f"{args.compare_with}, one {args.log_mb} MB log: {seconds:.1f} s, peak {peak:.0f} MiB (exit {code})")
    with FakeGitHub(REPO) as fake:
        populate(fake, 3)
        fake.faults.append(
            Fault(r"/runs$", kind="drip-body", body={"total_count": 0, "workflow_runs": [], "x": "." * 200})
        )
        seconds, said = timed_refusal(fake, deadline=2.0)
        print(f"dripping server: stopped after {seconds:.1f} s: {said}")
        fake.faults.append(Fault(r"/runs$", kind="gzip-bomb", size=2**30))
        seconds, said = timed_refusal(fake)
        print(f"1 GiB gzip bomb: refused after {seconds:.1f} s: {said}")


if __name__ == "__main__":
    main()
