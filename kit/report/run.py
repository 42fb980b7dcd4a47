"""Run the report notebook with papermill and export it: executed notebook, HTML, Markdown, JSON.

The HTML is self-contained (charts are PNG data URIs, styles inline, no script or stylesheet from a
CDN) and shows no code. Parameters are the notebook's contract; a token is never one of them and
never reaches any output (the fetch inside the notebook reads it from the environment).
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Any

import nbformat
import papermill
from nbclient.exceptions import DeadKernelError
from nbconvert import HTMLExporter
from nbconvert.preprocessors import TagRemovePreprocessor

from kit.analysis.parameters import ReportParameters
from kit.errors import ReportError, UsageError
from kit.report.data import check_inputs
from kit.report.kernel import QUIET_KERNEL, KeptKernel, QuietKernelManager

NOTEBOOK_NAME = "reliability_report.ipynb"
# Package data (`kit.notebooks`, the checkout's top-level notebooks/ folder): the same lookup in a wheel,
# `pip install git+…` and an editable install.
NOTEBOOK = Path(str(resources.files("kit.notebooks").joinpath(NOTEBOOK_NAME)))
_REMOTE = re.compile(r"<(script|link)\b[^>]*(?:src|href)=\"https?://[^\"]*\"[^>]*>(?:\s*</script>)?", re.IGNORECASE)


@dataclass
class ReportResult:
    notebook: Path
    html: Path
    summary: Path
    report: dict[str, Any]
    seconds: float


OUTPUTS = ("report.json", "summary.md", "reliability_report.ipynb", "reliability_report.html")


def run_report(params: ReportParameters, kernel: str = "python3", kept: KeptKernel | None = None) -> ReportResult:
    """Execute the notebook for `params` and put its outputs in `params.out_dir`, all or nothing.

    `kept`: a kernel kept between reports (a team report's worker); by default papermill starts one
    for this report and stops it after.

    Everything is rendered in a staging folder beside `out_dir` and moved into place only when the
    whole set exists, so a failed report leaves the previous one as it was rather than half-replaced.
    """
    if not NOTEBOOK.exists():
        raise ReportError(f"{NOTEBOOK}: the report notebook is missing from this codex-kit installation (reinstall it)")
    started = time.monotonic()
    out_dir = Path(params.out_dir).resolve()
    check_inputs(params)
    staging = _staging_beside(out_dir)
    try:
        report = _render(replace(params, out_dir=str(staging)), staging, kernel, out_dir, kept)
        _move_into_place(staging, out_dir)
    except OSError as err:  # a full disk, a folder that turned read-only: the user's to fix, said in one line
        why = f"{err.filename or out_dir}: {err.strerror or err}"
        raise ReportError(f"cannot write the report ({why});{_left_as_it_was(out_dir)}") from err
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return ReportResult(
        out_dir / OUTPUTS[2], out_dir / OUTPUTS[3], out_dir / OUTPUTS[1], report, time.monotonic() - started
    )


def _move_into_place(staging: Path, out_dir: Path) -> None:
    """Replace the outputs in `out_dir` with the staged ones, all four or none: the previous ones are
    set aside first and put back if any move fails."""
    out_dir.mkdir(exist_ok=True)
    previous = staging / ".previous"
    previous.mkdir()
    set_aside: list[str] = []
    placed: list[str] = []
    try:
        for name in OUTPUTS:
            if (out_dir / name).exists():
                os.replace(out_dir / name, previous / name)
                set_aside.append(name)
        for name in OUTPUTS:
            os.replace(staging / name, out_dir / name)
            placed.append(name)
    except OSError:
        for name in placed:
            (out_dir / name).unlink(missing_ok=True)
        for name in set_aside:
            os.replace(previous / name, out_dir / name)
        raise


def _staging_beside(out_dir: Path) -> Path:
    """A fresh folder next to `out_dir` (same file system, so the final moves are renames)."""
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"--out {out_dir} is a file; give a folder for the report")
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".codex-kit", dir=out_dir.parent))
    except OSError as err:
        raise UsageError(f"--out {out_dir}: cannot write there ({err.strerror or err})") from err


def _left_as_it_was(out_dir: Path) -> str:
    """What a failed report leaves behind, said at the end of its message."""
    if (out_dir / OUTPUTS[0]).exists():
        return f" the previous report in {out_dir} was left as it was"
    return " nothing was written"


def _render(
    params: ReportParameters, staging: Path, kernel: str, out_dir: Path, kept_kernel: KeptKernel | None
) -> dict[str, Any]:
    kept = _left_as_it_was(out_dir)
    executed = staging / OUTPUTS[2]
    own: dict[str, Any] = {
        "kernel_manager_class": f"{QuietKernelManager.__module__}.QuietKernelManager",
        "extra_arguments": QUIET_KERNEL,
    }
    try:
        if kept_kernel is not None:
            own = {"km": kept_kernel.ready(str(staging))}
        # No output path: papermill would write the whole notebook (charts and all) at every cell; it is written once.
        notebook = papermill.execute_notebook(
            str(NOTEBOOK), None, parameters=params.to_notebook(), kernel_name=kernel, progress_bar=False,
            cwd=str(staging), report_mode=True, **own,
        )  # fmt: skip
    except papermill.PapermillExecutionError as err:
        raise ReportError(f"the report notebook failed: {err.ename}: {err.evalue};{kept}") from err
    except DeadKernelError as err:
        raise ReportError(f"the report notebook's kernel died: {err};{kept}") from err
    except (RuntimeError, TimeoutError) as err:  # nbclient: "Kernel didn't respond", "Kernel died before replying"
        raise ReportError(f"the report notebook's kernel did not answer: {err};{kept}") from err
    except ReportError as err:
        raise ReportError(f"{err};{kept}") from err
    finally:
        if kept_kernel is not None:
            kept_kernel.finished()
    nbformat.write(notebook, executed)
    report_path = staging / OUTPUTS[0]
    report = json.loads(report_path.read_text()) if report_path.exists() else {}
    if report:
        title = f"Codex reliability: {report['repo']} {report['workflow']}"
        (staging / OUTPUTS[3]).write_text(export_html(notebook, title), encoding="utf-8")
    if not report or not all((staging / name).exists() for name in OUTPUTS):
        raise ReportError(f"the notebook ran but did not write every output;{kept}")
    return report


def export_html(notebook: nbformat.NotebookNode, title: str = "Codex reliability report") -> str:
    """The executed notebook as one HTML file with no code and nothing loaded from the network."""
    body, _ = _exporter().from_notebook_node(notebook, resources={"metadata": {"name": title}})
    return _REMOTE.sub("", body)


@functools.cache
def _exporter() -> HTMLExporter:
    """One exporter a process: its templates are compiled once, not for every dashboard of a team report."""
    exporter = HTMLExporter(template_name="lab", exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True, embed_images=True)  # fmt: skip
    exporter.register_preprocessor(TagRemovePreprocessor(remove_cell_tags={"remove-cell"}), enabled=True)
    return exporter
