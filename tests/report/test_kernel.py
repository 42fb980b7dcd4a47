"""A kernel kept between reports (a team report's worker): each report is the one a kernel of its own
makes, nothing of the previous report is left in it, and a kernel that died is started again."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

import nbformat
import pytest
from jupyter_core.utils import run_sync

from kit.analysis.parameters import ReportParameters
from kit.errors import ReportError
from kit.report.kernel import KeptKernel
from kit.report.run import run_report


@pytest.fixture
def kept():
    kernel = KeptKernel()
    yield kernel
    kernel.shutdown()


def _without_time(report: dict) -> dict:
    return {key: value for key, value in report.items() if key != "made_at"}


def _outputs(notebook: Path) -> list[list[str]]:
    """Each code cell's outputs: their kinds, and the text of what went to stdout or stderr."""
    cells = nbformat.read(notebook, as_version=4).cells
    return [
        [f"{out.output_type}:{out.get('name', '')}:{out.get('text', '')}" for out in cell.outputs]
        for cell in cells
        if cell.cell_type == "code"
    ]


def _run_code(kernel: KeptKernel, code: str) -> None:
    """Run `code` in the kernel as a notebook cell would (between two reports)."""
    client = kernel.ready(str(Path.cwd())).client()
    client.start_channels()
    try:
        run_sync(client.execute_interactive)(code, timeout=60, output_hook=lambda _: None)
    finally:
        kernel.finished()


def _ask(kernel: KeptKernel, folder: Path, expression: str) -> str:
    """What `expression` is in the kernel as the next report would find it."""
    km = kernel.ready(str(folder))
    client = km.client()
    client.start_channels()
    try:
        run_sync(client.wait_for_ready)(timeout=60)
        reply = run_sync(client.execute_interactive)(
            "", user_expressions={"value": expression}, store_history=False, timeout=60, output_hook=lambda _: None
        )
    finally:
        kernel.finished()
    return reply["content"]["user_expressions"]["value"]["data"]["text/plain"]


def test_reports_on_one_kept_kernel_are_the_ones_a_kernel_of_their_own_makes(kept: KeptKernel, tmp_path: Path) -> None:
    first = run_report(ReportParameters(out_dir=str(tmp_path / "first")), kept=kept)
    narrower = ReportParameters(since="2026-09-01", out_dir=str(tmp_path / "second"))
    second = run_report(narrower, kept=kept)
    alone = run_report(ReportParameters(since="2026-09-01", out_dir=str(tmp_path / "alone")))
    assert (kept.starts, kept.runs) == (1, 2)
    assert first.report["period"] != second.report["period"]
    assert _without_time(second.report) == _without_time(alone.report)
    for result in (second, alone):
        cells = nbformat.read(result.notebook, as_version=4).cells
        numbers = [cell.execution_count for cell in cells if cell.cell_type == "code"]
        assert numbers == list(range(1, len(numbers) + 1)), "cells are numbered from 1, as in a kernel of their own"
    # The same outputs cell by cell: nothing printed by the kernel's own bookkeeping (IPython's history once
    # printed "Session/line number was not unique" into a dashboard made after another).
    assert _outputs(second.notebook) == _outputs(alone.notebook)
    assert json.loads((tmp_path / "second" / "report.json").read_text()) == second.report


def test_nothing_of_a_previous_report_is_left_in_the_kernel(kept: KeptKernel, tmp_path: Path) -> None:
    run_report(ReportParameters(out_dir=str(tmp_path / "report")), kept=kept)
    _run_code(kept, "import matplotlib.pyplot as plt\nleft_open = plt.figure()")  # a figure nobody closed
    folder = tmp_path / "next"
    folder.mkdir()
    names = "('analysis', 'history', 'params', 'repo', 'left_open', 'plt')"
    assert _ask(kept, folder, f"sorted(k for k in globals() if k in {names})") == "[]"
    assert _ask(kept, folder, "__import__('matplotlib.pyplot').pyplot.get_fignums()") == "[]"
    assert _ask(kept, folder, "__import__('os').getcwd()") == repr(str(folder))


def test_a_kernel_that_died_is_started_again_for_the_next_report(kept: KeptKernel, tmp_path: Path) -> None:
    run_report(ReportParameters(out_dir=str(tmp_path / "before")), kept=kept)
    pid = int(_ask(kept, tmp_path, "__import__('os').getpid()"))
    os.kill(pid, signal.SIGKILL)
    result = run_report(ReportParameters(out_dir=str(tmp_path / "after")), kept=kept)
    assert result.report["repo"] and kept.starts == 2


def test_a_report_that_fails_on_a_kept_kernel_says_why_and_the_next_one_runs(
    kept: KeptKernel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    monkeypatch.delenv("GH_TOKEN", raising=False)
    # A fetch inside the notebook, from a port where nothing listens: the notebook itself fails.
    failing = ReportParameters(repo="octo/gone", cache_dir=str(tmp_path / "cache"), fetch=True,
                               api_url="http://127.0.0.1:9", out_dir=str(tmp_path / "bad"))  # fmt: skip
    with pytest.raises(ReportError, match=r"the report notebook failed: .*nothing was written"):
        run_report(failing, kept=kept)
    assert not (tmp_path / "bad").exists() or not any((tmp_path / "bad").iterdir())
    assert run_report(ReportParameters(out_dir=str(tmp_path / "good")), kept=kept).report["repo"]
    assert kept.starts == 1


def test_the_socket_folder_of_a_killed_worker_is_swept_by_the_next_kernel(kept: KeptKernel, tmp_path: Path) -> None:
    ended = subprocess.Popen(["true"])  # a process that has ended: its pid owns nothing any more
    ended.wait()
    left = Path(tempfile.gettempdir()) / f"codex-kit-kernel-{ended.pid}-left"
    left.mkdir(exist_ok=True)
    (left / "kernel-1").write_text("")
    alive = Path(tempfile.mkdtemp(prefix=f"codex-kit-kernel-{os.getppid()}-"))  # a live owner's: kept
    try:
        kept.ready(str(tmp_path))
        kept.finished()
        assert not left.exists() and alive.exists()
    finally:
        shutil.rmtree(left, ignore_errors=True)
        shutil.rmtree(alive, ignore_errors=True)
