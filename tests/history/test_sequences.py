"""Commands chained the way people chain them give the numbers of the straightforward sequence.

Each test runs `codex-kit` as a subprocess against the local fake GitHub, as a user would: a
windowed fetch followed by a full one, paths typed relative, with `~` or absolute, a fetch killed
at random points and resumed, Ctrl-C.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kit.history.cache import HistoryCache, cache_folder
from kit.history.fetch import SAVE_EVERY
from tests.support.cache_files import table_files
from tests.support.fake_github import FakeGitHub
from tests.support.history_builder import REPO, populate

TOKEN = "codex-kit-test-token-sequences-0123456789abcdef"
WORKFLOW = "invariants.yml"


# A child inherits an ignored SIGINT: a test runner started in the background by a shell without job
# control (`pytest … &`, nohup) ignores it, so would `codex-kit`, and Ctrl-C would do nothing at all.
# A user at a terminal has the default disposition: the interrupted child gets it back explicitly.
AS_AT_A_TERMINAL = (
    "import runpy, signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "runpy.run_module('kit.cli', run_name='__main__', alter_sys=True)"
)


def codex_kit(*args: str, cwd: Path, home: Path | None = None, wait: bool = True):
    env = {**os.environ, "GITHUB_TOKEN": TOKEN, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    if home is not None:
        env["HOME"] = str(home)
    command = [sys.executable, "-m", "kit.cli", *args] if wait else [sys.executable, "-c", AS_AT_A_TERMINAL, *args]
    if not wait:
        return subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def fetch(fake: FakeGitHub, cache: Path, *extra: str, cwd: Path) -> subprocess.CompletedProcess:
    done = codex_kit("fetch", "--repo", REPO, "--api-url", fake.url, "--cache", str(cache), *extra, cwd=cwd)
    assert done.returncode == 0, done.stderr
    return done


def tables(cache: Path) -> dict[str, bytes]:
    return table_files(cache)


@pytest.fixture
def fake():
    with FakeGitHub(REPO, token=TOKEN) as server:
        populate(server, 250, hardened_after=1130)  # one run an hour from 2026-06-01
        yield server


@pytest.mark.parametrize(
    "first",
    [("--until", "2026-06-05"), ("--since", "2026-06-04", "--until", "2026-06-06"), ("--since", "2026-06-09")],
    ids=["until", "since-until", "since"],
)
def test_a_windowed_fetch_never_hides_runs_from_a_later_full_fetch(fake, tmp_path: Path, first) -> None:
    fetch(fake, tmp_path / "whole", cwd=tmp_path)
    fetch(fake, tmp_path / "chained", *first, cwd=tmp_path)
    done = fetch(fake, tmp_path / "chained", cwd=tmp_path)
    assert tables(tmp_path / "chained") == tables(tmp_path / "whole"), done.stdout
    assert len(HistoryCache(cache_folder(tmp_path / "chained", REPO)).load().runs) == 250


def test_relative_home_and_absolute_paths_give_one_report(fake, tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    fetch(fake, home / "cx", cwd=home)
    reports = []
    for cache, out in (("cx", "out-rel"), ("~/cx", "~/out-home"), (str(home / "cx"), str(home / "out-abs"))):
        done = codex_kit("report", "--repo", REPO, "--cache", cache, "--out", out, "--min-runs", "5", cwd=home,
                         home=home)  # fmt: skip
        assert done.returncode in (0, 1), done.stderr
        assert not (home / "~").exists(), "a `~` is expanded, never a folder of that name"
        reports.append(json.loads((home / out.removeprefix("~/") / "report.json").read_text()))
    assert reports[0]["verdicts"] == reports[1]["verdicts"] == reports[2]["verdicts"]
    assert reports[0]["period"]["runs"] == 250


def test_repository_names_are_case_insensitive(fake, tmp_path: Path) -> None:
    done = codex_kit("fetch", "--repo", REPO.upper(), "--api-url", fake.url, "--cache", "c", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert [p.name for p in (tmp_path / "c" / "_repos").iterdir()] == [cache_folder(tmp_path, REPO).name]
    assert [p.name for p in (tmp_path / "c" / "runs").iterdir()] == ["repo=octo__app"]


def test_a_report_on_a_partial_history_says_so_everywhere(fake, tmp_path: Path) -> None:
    fetch(fake, tmp_path / "c", "--since", "2026-06-04", "--until", "2026-06-06", cwd=tmp_path)
    done = codex_kit("report", "--repo", REPO, "--cache", "c", "--out", "out", "--min-runs", "5", cwd=tmp_path)
    assert done.returncode in (0, 1), done.stderr
    assert "were never fetched" in done.stderr and "codex-kit fetch --repo octo/app" in done.stderr
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["period"]["complete"] is False and report["period"]["warnings"]
    assert "history is incomplete" in (tmp_path / "out" / "summary.md").read_text()
    assert "history behind this report is incomplete" in (tmp_path / "out" / "reliability_report.html").read_text()
    window = codex_kit("report", "--repo", REPO, "--cache", "c", "--out", "o2", "--since", "2026-06-04",
                       "--until", "2026-06-06", cwd=tmp_path)  # fmt: skip
    assert "were never fetched" not in window.stderr, "the window the fetch covered is complete"


def test_a_killed_fetch_resumes_within_one_batch(fake, tmp_path: Path) -> None:
    fetch(fake, tmp_path / "whole", cwd=tmp_path)
    uninterrupted = fake.counted()
    for seed, point in enumerate(random.Random(7).sample(range(5, uninterrupted - 5), 3)):
        fake.requests.clear()
        cache = tmp_path / f"killed-{seed}"
        process = codex_kit("fetch", "--repo", REPO, "--api-url", fake.url, "--cache", str(cache), cwd=tmp_path,
                            wait=False)  # fmt: skip

        def kill_at(count: int, point: int = point, process=process) -> None:
            if count == point:
                process.send_signal(signal.SIGKILL)
                time.sleep(0.5)

        fake.before_request = kill_at
        process.communicate(timeout=300)
        fake.before_request = None
        assert process.returncode == -signal.SIGKILL
        fetch(fake, cache, cwd=tmp_path)
        assert tables(cache) == tables(tmp_path / "whole"), f"killed at request {point}"
        assert fake.counted() <= uninterrupted + SAVE_EVERY + 1, f"killed at request {point}: {fake.counted()}"


def test_ctrl_c_is_one_line_and_leaves_a_usable_cache(fake, tmp_path: Path) -> None:
    """SIGINT while the fetch waits for its 121st answer: exit 130, one line, a cache the next fetch completes.

    This once "flaked" with exit 0: the suite had been started in the background, where SIGINT is
    ignored and the child inherited that (it then fetched to the end). Not a race in the fetch.
    """
    process = codex_kit("fetch", "--repo", REPO, "--api-url", fake.url, "--cache", "c", cwd=tmp_path, wait=False)

    def interrupt(count: int) -> None:
        if count == 120:
            process.send_signal(signal.SIGINT)
            time.sleep(0.5)

    fake.before_request = interrupt
    _, err = process.communicate(timeout=300)
    fake.before_request = None
    assert process.returncode == 130, err
    assert err.strip().splitlines()[-1] == "codex-kit: interrupted" and "Traceback" not in err
    history = HistoryCache(cache_folder(tmp_path / "c", REPO)).load()
    assert "interrupted" in history.state["stopped"]
    fetch(fake, tmp_path / "c", cwd=tmp_path)
    assert "stopped" not in HistoryCache(cache_folder(tmp_path / "c", REPO)).load().state
