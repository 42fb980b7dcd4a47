"""A finished report folder, as `codex-kit report --out DIR` leaves it: what publishing reads.

Publishing never renders: it takes the summary, report.json and the HTML that the report wrote, so
what the team sees in an issue, on Pages or in a PR is exactly the report in the artifact.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kit.errors import UsageError
from kit.report.run import OUTPUTS

REPORT_JSON, SUMMARY_MD, _, HTML = OUTPUTS


@dataclass(frozen=True)
class ReportFolder:
    path: Path
    summary: str
    report: dict[str, Any]
    report_text: str
    html: str

    @property
    def repo(self) -> str:
        return str(self.report["repo"])

    @property
    def workflow(self) -> str:
        return str(self.report["workflow"])

    @property
    def made_at(self) -> str:
        return str(self.report.get("made_at") or "")


def read_report_folder(path: Path) -> ReportFolder:
    """The report in `path`; a folder without one is the user's to fix (run the report first)."""
    texts = {}
    for name in (REPORT_JSON, SUMMARY_MD, HTML):
        try:
            texts[name] = (path / name).read_text(encoding="utf-8")
        except OSError as err:
            why = err.strerror or err
            raise UsageError(
                f"{path / name}: no report to publish ({why}); run `codex-kit report --out {path}` first"
            ) from err
    try:
        report = json.loads(texts[REPORT_JSON])
    except json.JSONDecodeError as err:
        raise UsageError(f"{path / REPORT_JSON}: not the JSON a report writes ({err})") from err
    if not isinstance(report, dict) or not {"repo", "workflow", "verdicts"} <= report.keys():
        raise UsageError(f"{path / REPORT_JSON}: not a codex-kit report (no repo, workflow or verdicts)")
    return ReportFolder(path, texts[SUMMARY_MD], report, texts[REPORT_JSON], texts[HTML])
