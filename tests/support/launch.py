"""Run codex-kit in a child process under real operating-system conditions a test cannot fake in-process.

    python -m tests.support.launch [--fsize BYTES] [--uid UID] [--kill-at-rename N --watch DIR] cli ARGS...
    python -m tests.support.launch [...] fetch REPO WORKFLOW API_URL CACHE_ROOT SAVE_EVERY

`--fsize` sets RLIMIT_FSIZE with SIGXFSZ ignored, so a write past it fails with EFBIG: a full disk
that even root cannot write past. `--uid` drops to that user (after the imports, because the
interpreter lives where only root can read) so a folder it does not own is really read-only.
`--kill-at-rename N` sends this process SIGKILL just before its N-th rename into DIR: the state a
crash right after the previous completed file write leaves, since every cache file is written to
a temporary name and renamed into place (DIR is the cache root: every partition, the state
folder and the logs are under it). It is a Python audit hook (PEP 578) that only watches
the process's own `os.rename` events; no function of codex-kit is replaced. The `fetch` form runs
the library's fetch with a small `save_every`, so one small history has many save points. With
no kill, the number of renames into DIR is printed last, so a test knows how many points exist.
`--kill-at-each N` forks one child per point 1..N (the imports paid once), each fetching into
CACHE_ROOT with `{point}` filled in and killed before that rename; it prints each child's fate.
"""

from __future__ import annotations

import argparse
import io
import os
import resource
import signal
import socket
import sys
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from kit.cli import main
from kit.history.cache import HistoryCache, cache_folder
from kit.history.client import GitHubClient
from kit.history.fetch import Fetcher


def _warm_up() -> None:
    """Load what the fetch loads lazily, while the interpreter's files can still be read."""
    buffer = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(pd.DataFrame({"a": [1]})), buffer)
    pq.read_table(pa.BufferReader(buffer.getvalue())).to_pandas()
    pd.to_datetime(pd.Series(["2026-01-01T00:00:00Z"]), utc=True, format="ISO8601")
    import kit.taxonomy

    kit.taxonomy.load_taxonomy().signal()
    socket.getaddrinfo("127.0.0.1", 80)  # loads the idna codec


def _renames_into(folder: str, kill_at: int) -> list[int]:
    count = [0]
    folder = os.path.realpath(folder)

    def hook(event: str, args: tuple) -> None:
        if event == "os.rename" and os.path.realpath(os.fsdecode(args[1])).startswith(folder + os.sep):
            count[0] += 1
            if count[0] == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)

    sys.addaudithook(hook)
    return count


def run() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fsize", type=int)
    parser.add_argument("--uid", type=int)
    parser.add_argument("--kill-at-rename", type=int, default=0)
    parser.add_argument("--watch", default="/nonexistent")
    parser.add_argument("--kill-at-each", type=int, default=0)
    parser.add_argument("mode", choices=("cli", "fetch"))
    parser.add_argument("rest", nargs=argparse.REMAINDER)
    options = parser.parse_args()
    _warm_up()
    if options.fsize is not None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (options.fsize, options.fsize))
    if options.uid is not None:
        os.setgid(options.uid)
        os.setuid(options.uid)
    if options.kill_at_each:
        return _fork_each(options.kill_at_each, options.rest)
    renames = _renames_into(options.watch, options.kill_at_rename)
    if options.mode == "cli":
        code = main(options.rest)
    else:
        _fetch(*options.rest)
        code = 0
    print(f"renames: {renames[0]}")
    return code


def _fetch(repo: str, workflow: str, api_url: str, root: str, save_every: str, client=None) -> None:
    client = client or GitHubClient(repo, api_url=api_url, token=None, sleep=lambda s: None)
    cache = HistoryCache(cache_folder(Path(root), repo))
    Fetcher(client, cache, workflow, progress=False, save_every=int(save_every)).run()


def _fork_each(points: int, rest: list[str]) -> int:
    repo, workflow, api_url, template, save_every = rest
    client = GitHubClient(repo, api_url=api_url, token=None, sleep=lambda s: None)  # never used here: each child
    for point in range(1, points + 1):  # gets its own copy, as fresh as a new one, without building it again
        folder = template.format(point=point)
        pid = os.fork()
        if pid == 0:
            _renames_into(folder, point)
            try:
                _fetch(repo, workflow, api_url, folder, save_every, client)
            finally:
                os._exit(0)
        _, status = os.waitpid(pid, 0)
        fate = f"signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status) else f"exit {os.WEXITSTATUS(status)}"
        print(f"point {point}: {fate}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(run())
