"""A cache root written by the previous codex-kit is moved into the dataset layout on first use, never ignored.

`fixtures/v1_cache/` is what codex-kit at commit f7d91aa (schema version 1, one folder per
repository) wrote when it fetched `populate(fake, 10, seed=11, hardened_after=1005)` from the fake
GitHub: its tables, state.json, logs and the empty fetch.lock, byte for byte.
"""

from __future__ import annotations

import json
import re
import shutil
from contextlib import nullcontext
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from kit.cli import main
from kit.errors import CacheError
from kit.history.client import GitHubClient
from kit.history.fetch import Fetcher
from kit.history.schema import KEYS, SCHEMA_VERSION
from tests.history.test_cache_safety import NOBODY, launch, snapshot, tables_and_logs, temporaries
from tests.support.cache_files import repo_cache, state_folder, table_files
from tests.support.fake_github import FakeGitHub
from tests.support.history_builder import REPO, populate

FIXTURE = Path(__file__).parent / "fixtures" / "v1_cache"
OLD = "octo__app"
WORKFLOW = "invariants.yml"


@pytest.fixture
def fake():
    with FakeGitHub(REPO) as server:
        populate(server, 10, seed=11, hardened_after=1005)  # what the fixture was fetched from
        yield server


@pytest.fixture
def older(tmp_path: Path) -> Path:
    """A cache root in the previous layout."""
    root = tmp_path / "cache"
    shutil.copytree(FIXTURE, root)
    return root


def _fetch_args(root: Path, fake: FakeGitHub) -> list[str]:
    return ["fetch", "--repo", REPO, "--cache", str(root), "--api-url", fake.url]


def _assert_moved(root: Path, fetched: bool = False) -> None:
    """The old folder is gone; every row, the state and every log are in the new layout (a fetch since moves the
    end of the covered period on, nothing else)."""
    assert not (root / OLD).exists()
    history = repo_cache(root).load()
    assert history.unvouched == set() and history.state["schema_version"] == SCHEMA_VERSION
    old_state = json.loads((FIXTURE / OLD / "state.json").read_text())
    assert history.state["etags"] == old_state["etags"]
    if fetched:
        assert history.state["coverage"][WORKFLOW][0][0] is None and len(history.state["coverage"][WORKFLOW]) == 1
    else:
        assert history.state["coverage"] == old_state["coverage"]
    for name in KEYS:
        old = pq.read_table(FIXTURE / OLD / f"{name}.parquet").to_pandas().rename(columns={"repo": "base_repo"})
        pd.testing.assert_frame_equal(history.table(name), old[history.table(name).columns], check_dtype=False)
    logs = sorted(p.name for p in (FIXTURE / OLD / "logs").iterdir())
    assert sorted(p.name for p in (state_folder(root) / "logs").iterdir()) == logs
    assert set(table_files(root)) == {f"{name}/repo={OLD}/part-0.parquet" for name in KEYS}


def test_an_older_cache_is_moved_on_first_fetch_and_says_what_moved(fake, older: Path, capsys) -> None:
    fake.requests.clear()
    assert main(_fetch_args(older, fake)) == 0
    err = capsys.readouterr().err
    said = [line for line in err.splitlines() if "into the dataset layout" in line]
    assert said == [
        f"codex-kit: moved the history of octo/app into the dataset layout (schema version {SCHEMA_VERSION}): "
        + ", ".join(f"{older}/{name}/repo={OLD}/part-0.parquet" for name in KEYS)
        + f"; its state.json and logs are in {state_folder(older)}"
    ], err
    assert not any(r.path.endswith(("/jobs", "/logs", "/graphql")) for r in fake.requests), "nothing asked again"
    _assert_moved(older, fetched=True)
    assert main(_fetch_args(older, fake)) == 0
    assert "into the dataset layout" not in capsys.readouterr().err, "moved once"


def test_an_older_cache_is_moved_by_a_team_fetch_too(fake, older: Path, capsys) -> None:
    """A team fetch goes through the same fetch as one repository's, so it moves an older root as well."""
    other = fake.add_repo("octo/other")
    populate(other, 3, seed=12, first_id=5000)
    args = ["fetch", "--repo", REPO, "--repo", "octo/other", "--workflow", WORKFLOW, "--cache", str(older),
            "--api-url", fake.url]  # fmt: skip
    assert main(args) == 0
    assert "into the dataset layout" in capsys.readouterr().err
    assert not (older / OLD).exists()
    moved = repo_cache(older).load()
    assert moved.unvouched == set() and len(moved.runs) == 10
    assert len(repo_cache(older, "octo/other").load().runs) == 3


def test_an_older_cache_is_moved_on_first_report(older: Path, tmp_path: Path, capsys) -> None:
    code = main(["report", "--repo", REPO, "--cache", str(older), "--out", str(tmp_path / "out"), "--min-runs", "1"])
    assert code in (0, 1)
    assert "codex-kit: moved the history of octo/app into the dataset layout" in capsys.readouterr().err
    assert json.loads((tmp_path / "out" / "report.json").read_text())["period"]["runs"] == 10
    _assert_moved(older)


def test_a_move_killed_before_any_rename_is_finished_by_the_next_fetch(fake, older: Path, tmp_path: Path) -> None:
    """SIGKILL before each rename of the move (the folder, four partitions, _dataset.json, the manifest), then fetch."""
    whole = tmp_path / "whole"
    shutil.copytree(FIXTURE, whole)
    assert main(_fetch_args(whole, fake)) == 0
    for point in range(1, 9):  # 7 renames move it; the 8th is the fetch's own first save
        root = tmp_path / f"killed-{point}"
        shutil.copytree(FIXTURE, root)
        child = launch("--kill-at-rename", str(point), "--watch", str(root), "cli", *_fetch_args(root, fake))
        _, err = child.communicate(timeout=300)
        assert child.returncode == -9, f"point {point}: {err}"
        with pytest.raises(CacheError, match="older codex-kit's layout") if point < 8 else nullcontext():
            repo_cache(root).load()  # until the move is finished, the history is never read as empty
        assert main(_fetch_args(root, fake)) == 0, f"point {point}"
        assert tables_and_logs(root) == tables_and_logs(whole), f"killed before rename {point}"
        assert not temporaries(root) and not (root / OLD).exists(), f"killed before rename {point}"


def test_a_move_cut_short_after_its_manifest_only_removes_the_old_tables(fake, older: Path, capsys) -> None:
    assert main(_fetch_args(older, fake)) == 0
    moved = snapshot(older)
    for name in KEYS:
        shutil.copy(FIXTURE / OLD / f"{name}.parquet", state_folder(older))
    assert main(_fetch_args(older, fake)) == 0
    assert "finished moving the history of octo/app into the dataset layout" in capsys.readouterr().err
    after = snapshot(older)
    assert set(after) == set(moved) and all(after[k] == v for k, v in moved.items() if not k.endswith("state.json"))


@pytest.mark.parametrize("damage", ["truncated-table", "older-state", "read-only", "both-layouts"])
def test_an_older_cache_that_cannot_be_moved_is_refused_with_nothing_moved(
    fake, older: Path, tmp_path: Path, open_tmp: Path, damage: str, capsys
) -> None:
    if damage == "read-only":  # a user who may read the cache root but not write it
        older = shutil.copytree(FIXTURE, open_tmp / "cache")
    if damage == "truncated-table":
        jobs = older / OLD / "jobs.parquet"
        jobs.write_bytes(jobs.read_bytes()[:500])
        said = rf"^codex-kit: {jobs}: unreadable .*cannot be moved into the dataset layout; delete it"
    elif damage == "older-state":
        (older / OLD / "state.json").write_text('{"schema_version": 0}')
        said = rf"^codex-kit: {older / OLD / 'state.json'}: written by another cache schema version"
    elif damage == "both-layouts":
        fresh = tmp_path / "fresh"
        assert main(_fetch_args(fresh, fake)) == 0
        shutil.copytree(fresh, older, dirs_exist_ok=True)
        said = rf"^codex-kit: {older / OLD}: cannot move .* {state_folder(older)} already holds that repository's"
    before = snapshot(older)
    fake.requests.clear()
    if damage == "read-only":
        child = launch("--uid", str(NOBODY), "cli", *_fetch_args(older, fake))
        _, err = child.communicate(timeout=300)
        code, said = child.returncode, rf"^codex-kit: {older / OLD}: cannot move .* nothing was moved"
    else:
        code, err = main(_fetch_args(older, fake)), capsys.readouterr().err
    last = err.strip().splitlines()[-1]
    assert code == 2 and fake.requests == [], err
    assert re.search(said, last), last
    assert snapshot(older) == before


def test_a_reader_that_does_not_move_it_refuses_an_older_cache(older: Path) -> None:
    with pytest.raises(CacheError, match=rf"^{older / OLD}: the history of octo/app is in an older codex-kit's layout"):
        repo_cache(older).load()
    client = GitHubClient(REPO, api_url="http://127.0.0.1:9", token=None)
    with pytest.raises(CacheError, match="older codex-kit's layout"):
        Fetcher(client, repo_cache(older), WORKFLOW, progress=False).run()
