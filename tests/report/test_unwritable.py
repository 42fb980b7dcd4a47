"""A report that cannot be written says so in one line and leaves the previous report as it was."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from tests.support.oslimits import codex_kit, read_only, snapshot


@pytest.fixture
def world() -> Path:
    """A folder every user may enter (pytest's own tmp folders are private to root), removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="codex-kit-unwritable-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_a_full_disk_leaves_the_previous_report_as_it_was(world: Path) -> None:
    out = world / "report"
    first = codex_kit("report", "--out", str(out), cwd=world)
    assert first.returncode == 0, first.stderr
    before = snapshot(world)
    full = codex_kit("report", "--out", str(out), cwd=world, max_file_bytes=50_000)
    assert full.returncode == 2, full.stderr
    assert full.stderr.strip().splitlines() == [
        f"codex-kit: cannot write the report ({out}: File too large); the previous report in {out} was left as it was"
    ]
    assert snapshot(world) == before
    assert sorted(p.name for p in world.iterdir()) == ["report"], "no staging folder is left behind"


def test_a_read_only_folder_is_said_in_one_line_and_nothing_is_written(world: Path) -> None:
    shared = world / "shared-folder"
    shared.mkdir()
    (shared / "keep.txt").write_text("the team's own file\n")
    before = snapshot(world)
    with read_only(shared):
        result = codex_kit("report", "--out", str(shared / "report"), cwd=world)
    assert result.returncode == 2, result.stderr
    refused = "Operation not permitted" if os.geteuid() == 0 else "Permission denied"  # chattr +i, or the mode
    assert result.stderr.strip() == f"codex-kit: --out {shared / 'report'}: cannot write there ({refused})"
    assert snapshot(world) == before


def test_an_out_folder_that_turned_read_only_keeps_the_previous_report(world: Path) -> None:
    out = world / "report"
    assert codex_kit("report", "--out", str(out), cwd=world).returncode == 0
    before = snapshot(world)
    with read_only(out):
        result = codex_kit("report", "--out", str(out), cwd=world)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().startswith("codex-kit: cannot write the report (") and "Traceback" not in result.stderr
    assert result.stderr.strip().endswith(f"the previous report in {out} was left as it was"), result.stderr
    assert snapshot(world) == before
    assert sorted(p.name for p in world.iterdir()) == ["report"], "no staging folder is left behind"
