"""Run the report notebook with papermill and export it: executed notebook, HTML, Markdown, JSON.

The HTML is self-contained (charts are PNG data URIs, styles inline, no script or stylesheet from a
CDN) and shows no code. Parameters are the notebook's contract; a token is never one of them and
never reaches any output (the fetch inside the notebook reads it from the environment).
"""

from __future__ import annotations

import json
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import papermill
from nbconvert import HTMLExporter
from nbconvert.preprocessors import TagRemovePreprocessor

from kit.analysis.parameters import ReportParameters
from kit.errors import ReportError

NOTEBOOK_NAME = "reliability_report.ipynb"
# A source checkout has the notebook beside the package; an installed codex-kit has it under share/.
CANDIDATES = (
    Path(__file__).resolve().parents[2] / "notebooks" / NOTEBOOK_NAME,
    Path(sys.prefix) / "share" / "codex-kit" / "notebooks" / NOTEBOOK_NAME,
)
NOTEBOOK = next((path for path in CANDIDATES if path.exists()), CANDIDATES[0])
_REMOTE = re.compile(r"<(script|link)\b[^>]*(?:src|href)=\"https?://[^\"]*\"[^>]*>(?:\s*</script>)?", re.IGNORECASE)


@dataclass
class ReportResult:
    notebook: Path
    html: Path
    summary: Path
    report: dict[str, Any]
    seconds: float


def run_report(params: ReportParameters, kernel: str = "python3") -> ReportResult:
    """Execute the notebook for `params` into `params.out_dir` and export the dashboard there."""
    if not NOTEBOOK.exists():
        raise ReportError(f"{NOTEBOOK}: the report notebook is missing (install codex-kit from its repository)")
    started = time.monotonic()
    out_dir = Path(params.out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    executed = out_dir / "reliability_report.ipynb"
    injected = {**params.to_notebook(), "out_dir": str(out_dir)}
    try:
        papermill.execute_notebook(
            str(NOTEBOOK), str(executed), parameters=injected, kernel_name=kernel, progress_bar=False,
            cwd=str(out_dir), report_mode=True,
        )  # fmt: skip
    except papermill.PapermillExecutionError as err:
        raise ReportError(f"the report notebook failed: {err.ename}: {err.evalue}") from err
    html = out_dir / "reliability_report.html"
    html.write_text(export_html(executed), encoding="utf-8")
    report_path = out_dir / "report.json"
    report = json.loads(report_path.read_text()) if report_path.exists() else {}
    if not report:
        raise ReportError("the notebook ran but wrote no verdicts")
    return ReportResult(executed, html, out_dir / "summary.md", report, time.monotonic() - started)


def export_html(executed: Path) -> str:
    """The executed notebook as one HTML file with no code and nothing loaded from the network."""
    notebook = nbformat.read(executed, as_version=4)
    exporter = HTMLExporter(template_name="lab", exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True, embed_images=True)  # fmt: skip
    exporter.register_preprocessor(TagRemovePreprocessor(remove_cell_tags={"remove-cell"}), enabled=True)
    body, _ = exporter.from_notebook_node(notebook)
    return _REMOTE.sub("", body)
