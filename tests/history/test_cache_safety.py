"""Nothing is lost: a crash at any write, a deleted or crafted file, a second fetch, a full disk or a
read-only folder leave a cache that the next fetch completes to exactly what an uninterrupted one writes.

Crashes, full disks and read-only folders are real: a child process killed with SIGKILL, a file
size limit (RLIMIT_FSIZE) and an unprivileged user (tests run as root, whom chmod does not stop),
through `tests/support/launch.py`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from kit.errors import CacheError
from kit.history.client import GitHubClient
from kit.history.fetch import Fetcher
from tests.support.cache_files import repo_cache, state_folder, table_path
from tests.support.fake_github import FakeGitHub
from tests.support.history_builder import REPO, populate

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = "invariants.yml"
NOBODY = 65534


def fetcher(fake: FakeGitHub, root: Path, save_every: int = 3, lock_wait: float = 10.0) -> Fetcher:
    client = GitHubClient(REPO, api_url=fake.url, token=None, sleep=lambda s: None, timeout=10.0)
    return Fetcher(client, repo_cache(root, lock_wait=lock_wait), WORKFLOW, progress=False, save_every=save_every)


def launch(*args: str, **popen) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("GITHUB_TOKEN", None)
    env.pop("GH_TOKEN", None)
    command = [sys.executable, "-m", "tests.support.launch", *args]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            **popen)  # fmt: skip


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file of the cache root, by path, as bytes."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def tables_and_logs(root: Path) -> dict[str, bytes]:
    """What a fetch is for: the partition files and the stored logs (not the manifest, which names when and why)."""
    return {k: v for k, v in snapshot(root).items() if k.endswith(".parquet") or "/logs/" in k}


def temporaries(folder: Path) -> list[Path]:
    return list(folder.rglob("*.codex-kit.tmp"))


@pytest.fixture
def fake():
    with FakeGitHub(REPO) as server:
        populate(server, 10, seed=11, hardened_after=1005)  # 5 logs: every kind of save
        yield server


@pytest.fixture
def whole(fake: FakeGitHub, tmp_path: Path) -> Path:
    folder = tmp_path / "whole"
    fetcher(fake, folder).run()
    return folder


# --- crashes ---------------------------------------------------------------------------------------------
def test_a_fetch_killed_after_any_file_write_resumes_to_the_same_cache(fake: FakeGitHub, whole: Path, tmp_path: Path):
    """SIGKILL just before each rename into the cache in turn (= right after each completed write), then resume."""
    save_every = "3"  # with 10 runs and 5 logs: the listing, jobs and logs checkpoints and the final save
    counting = launch("--watch", str(tmp_path / "count"), "fetch", REPO, WORKFLOW, fake.url, str(tmp_path / "count"),
                      save_every)  # fmt: skip
    out, err = counting.communicate(timeout=300)
    assert counting.returncode == 0, err
    points = int(out.split("renames: ")[-1])
    assert points >= 20, "saves of every partition file, state.json, _dataset.json and the logs are all crash points"
    killing = launch("--kill-at-each", str(points), "fetch", REPO, WORKFLOW, fake.url, str(tmp_path / "killed-{point}"),
                     save_every)  # fmt: skip
    out, err = killing.communicate(timeout=600)
    assert out.splitlines() == [f"point {p}: signal {signal.SIGKILL.value}" for p in range(1, points + 1)], err
    for point in range(1, points + 1):
        folder = tmp_path / f"killed-{point}"
        fetcher(fake, folder).run()
        assert tables_and_logs(folder) == tables_and_logs(whole), f"killed before rename {point}"
        assert not temporaries(folder), f"killed before rename {point}"


@pytest.mark.parametrize(
    "removed",
    ["jobs", "steps", "log_lines", "runs", "state.json", "_dataset.json", "logs/first", "all-logs", "all-state"],
)
def test_the_documented_recovery_delete_the_file_and_fetch_again_works(fake, whole, tmp_path, removed: str) -> None:
    """Each table's partition file, the repository's state.json, its logs, or its whole state folder."""
    root = tmp_path / "c"
    shutil.copytree(whole, root)
    state = state_folder(root)
    if removed == "logs/first":
        sorted((state / "logs").iterdir())[0].unlink()
    elif removed == "all-logs":
        shutil.rmtree(state / "logs")
        table_path(root, "log_lines").unlink()
    elif removed == "all-state":
        shutil.rmtree(state)
        table_path(root, "log_lines").unlink()
    elif removed in ("state.json", "_dataset.json"):
        (root / removed if removed.startswith("_") else state / removed).unlink()
    else:
        table_path(root, removed).unlink()
    report = fetcher(fake, root).run()
    assert tables_and_logs(root) == tables_and_logs(whole), report.summary()
    assert snapshot(root)["_dataset.json"] == snapshot(whole)["_dataset.json"]
    if removed == "jobs":
        assert report.jobs_fetched_for == 10 and "repaired the cache (10 runs' jobs" in report.summary()


def test_runs_marked_as_having_jobs_that_jobs_parquet_lacks_get_their_jobs_again(fake, whole, tmp_path) -> None:
    """The hole of issue 12: jobs.parquet from before a save, runs.parquet from after it."""
    folder = tmp_path / "c"
    shutil.copytree(whole, folder)
    cache = repo_cache(folder)
    history = cache.load()
    history.jobs = history.jobs[history.jobs["run_id"] != 1003]
    history.steps = history.steps[history.steps["run_id"] != 1003]
    cache.save(history)
    state = json.loads((state_folder(folder) / "state.json").read_text())
    state["tables"]["jobs"]["sha256"] = "0" * 64  # the manifest of the save before: it names another jobs file
    (state_folder(folder) / "state.json").write_text(json.dumps(state))
    fake.requests.clear()
    report = fetcher(fake, folder).run()
    assert report.jobs_fetched_for == 1 and [r.path for r in fake.requests if r.path.endswith("/jobs")] == [
        f"/repos/{REPO}/actions/runs/1003/jobs"
    ]
    assert tables_and_logs(folder) == tables_and_logs(whole)


# --- crafted files ---------------------------------------------------------------------------------------
def _craft(root: Path, what: str) -> tuple[Path, str]:
    """Damage one file; (the file named in the error, a regular expression for the error)."""
    if what.startswith("state:"):
        text = what.removeprefix("state:")
        (state_folder(root) / "state.json").write_text(text)
        return state_folder(root) / "state.json", {
            "[]": r"holds list, not a JSON object; delete it and fetch again",
            '"x"': r"holds str, not a JSON object",
            "{": r"not valid JSON",
            '{"etags": 5}': r"`etags` is not a map of ETags",
            '{"coverage": {"invariants.yml": [["x", "y"]]}}': r"`coverage` is not a map of workflows to periods",
            '{"tables": []}': r"`tables` is not a map of tables",
        }[text]
    path = table_path(root, "jobs")
    if what == "garbage":
        path.write_bytes(os.urandom(4096))
        return path, r"unreadable .*Delete it and run `codex-kit fetch` again"
    if what == "truncated":
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
        return path, r"unreadable .*Delete it and run `codex-kit fetch` again"
    if what == "wrong-columns":
        shutil.copy(table_path(root, "runs"), path)
        return path, r"lacks columns .* it is not a codex-kit jobs table. Delete it"
    if what == "older-version":
        table = pq.read_table(path)
        pq.write_table(
            table.replace_schema_metadata({**table.schema.metadata, b"codex_kit.schema_version": b"1"}), path
        )
        return path, r"written with cache schema version 1, not 2; .* Delete it and run `codex-kit fetch` again"
    raise AssertionError(what)


@pytest.mark.parametrize(
    "what",
    ["state:[]", 'state:"x"', "state:{", 'state:{"etags": 5}', 'state:{"coverage": {"invariants.yml": [["x", "y"]]}}',
     'state:{"tables": []}', "garbage", "truncated", "wrong-columns", "older-version"],
)  # fmt: skip
def test_a_crafted_cache_file_is_a_clear_error_and_nothing_is_rewritten(fake, whole, tmp_path, what: str, capsys):
    from kit.cli import main

    root = tmp_path / "root"
    shutil.copytree(whole, root)
    path, message = _craft(root, what)
    before = snapshot(root)
    fake.requests.clear()
    code = main(["fetch", "--repo", REPO, "--cache", str(root), "--api-url", fake.url])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and err[-1].startswith(f"codex-kit: {path}: ") and "Traceback" not in "\n".join(err)
    assert re.search(message, err[-1]), err[-1]
    assert snapshot(root) == before and fake.requests == []


# --- the lock ---------------------------------------------------------------------------------------------
def _held_fetch(fake: FakeGitHub, root: Path, release: threading.Event) -> subprocess.Popen:
    """A CLI fetch into `root`, returned once the fake holds its 5th request (unanswered) until `release`."""
    start, held = len(fake.requests), threading.Event()

    def hold(count: int) -> None:
        if count == start + 4:
            held.set()
            release.wait(60)

    fake.before_request = hold
    child = launch("cli", "fetch", "--repo", REPO, "--cache", str(root), "--api-url", fake.url)
    assert held.wait(120), child.communicate(timeout=60)
    assert (state_folder(root) / "fetch.lock").read_text().strip() == str(child.pid), "the held fetch holds the lock"
    return child


def test_a_second_fetch_refuses_while_the_first_writes(fake, whole, tmp_path) -> None:
    folder = tmp_path / "root"
    release = threading.Event()
    first = _held_fetch(fake, folder, release)
    try:
        before = len(fake.requests)
        with pytest.raises(
            CacheError, match=rf"^another codex-kit fetch is writing {state_folder(folder)} \(pid {first.pid}\); wait"
        ):
            fetcher(fake, folder, lock_wait=0.3).run()
        assert len(fake.requests) == before, "the second fetch sent nothing"
    finally:
        release.set()
    _, err = first.communicate(timeout=300)
    assert first.returncode == 0, err
    fake.before_request = None
    fetcher(fake, folder).run()
    assert tables_and_logs(folder) == tables_and_logs(whole)


def test_a_second_fetch_waits_for_the_first_and_never_interleaves(fake, whole, tmp_path) -> None:
    folder = tmp_path / "root"
    release = threading.Event()
    first = _held_fetch(fake, folder, release)
    threading.Timer(1.0, release.set).start()
    second = fetcher(fake, folder, lock_wait=120)
    second.run()  # waits for the lock, then finds everything already fetched: it ran after the first, not beside it
    _, err = first.communicate(timeout=300)
    assert first.returncode == 0, err
    assert second.report.runs_new == 0 and second.report.jobs_fetched_for == 0 and second.report.logs_fetched == 0
    assert tables_and_logs(folder) == tables_and_logs(whole)


def test_a_lock_left_by_a_killed_fetch_is_taken_over(fake, whole, tmp_path) -> None:
    folder = tmp_path / "root"
    release = threading.Event()
    first = _held_fetch(fake, folder, release)
    first.send_signal(signal.SIGKILL)
    first.communicate(timeout=60)
    release.set()
    fake.before_request = None
    assert (state_folder(folder) / "fetch.lock").read_text().strip() == str(first.pid), "the dead fetch's pid is left"
    fetcher(fake, folder, lock_wait=0.3).run()
    assert tables_and_logs(folder) == tables_and_logs(whole)
    assert (state_folder(folder) / "fetch.lock").read_text() == "", "released: no pid is left behind"


# --- full disk, read-only folder ------------------------------------------------------------------------
def test_a_full_disk_during_a_save_leaves_the_cache_as_it_was(fake: FakeGitHub, tmp_path: Path) -> None:
    fetcher(fake, tmp_path).run()
    folder = state_folder(tmp_path)
    populate(fake, 60, first_id=1010, seed=5)
    before = snapshot(tmp_path)
    limit = table_path(tmp_path, "runs").stat().st_size + 64  # the grown runs table cannot be written
    child = launch("--fsize", str(limit), "cli", "fetch", "--repo", REPO, "--cache", str(tmp_path), "--api-url",
                   fake.url)  # fmt: skip
    _, err = child.communicate(timeout=300)
    assert child.returncode == 2, err
    assert err.strip().splitlines()[-1] == (
        f"codex-kit: {folder}: cannot save the history cache (File too large); what it held before this save is "
        "kept; free some space or make the folder writable, and fetch again"
    )
    assert snapshot(tmp_path) == before and not temporaries(tmp_path)


@pytest.mark.parametrize("when", ["from-the-start", "during-a-save"])
def test_a_read_only_cache_folder_is_a_clear_error_and_left_as_it_was(fake, open_tmp: Path, when: str) -> None:
    tmp_path = open_tmp
    fetcher(fake, tmp_path).run()
    folder = state_folder(tmp_path)
    populate(fake, 60, first_id=1010, seed=5)
    if when == "during-a-save":
        for path in [*tmp_path.rglob("*")]:
            os.chown(path, NOBODY, NOBODY)

        def freeze(count: int) -> None:
            if count == 0:  # while the listing is asked: the save after it meets a folder it cannot write
                folder.chmod(0o555)

        fake.before_request = freeze
    before = snapshot(tmp_path)
    fake.requests.clear()
    child = launch("--uid", str(NOBODY), "cli", "fetch", "--repo", REPO, "--cache", str(tmp_path), "--api-url",
                   fake.url)  # fmt: skip
    _, err = child.communicate(timeout=300)
    fake.before_request = None
    folder.chmod(0o755)
    assert child.returncode == 2, err
    last = err.strip().splitlines()[-1]
    if when == "from-the-start":
        assert last == f"codex-kit: {folder}: cannot write the history cache there ({folder} is not writable)"
        assert fake.requests == [], "said before a single request"
    else:
        assert last.startswith(f"codex-kit: {folder}: cannot write the history cache there ({folder} is not "), last
        assert len(fake.requests) >= 1
    assert snapshot(tmp_path) == before and not temporaries(tmp_path)
