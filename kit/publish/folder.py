"""A finished report folder, as `codex-kit report --out DIR` leaves it: what publishing reads.

Publishing never renders: it takes the summary, report.json and the HTML that the report wrote, so
what the team sees in an issue, on Pages or in a PR is exactly the report in the artifact. A team's
folder (team.json, summary.md, index.html and a dashboard per repository in its sub-folder) is read
the same way: its summary is the matrix, its page the overview, and each dashboard it links to
(the HTML and report.json, at the paths team.json names, checked to stay inside the folder) goes to
Pages beside it. A team's issue or comment is about the team (workflow `team`), in the repository
`--repo` names.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kit.errors import UsageError
from kit.report.run import OUTPUTS

REPORT_JSON, SUMMARY_MD, _, HTML = OUTPUTS
TEAM_JSON, TEAM_HTML = "team.json", "index.html"
TEAM_WORKFLOW = "team"  # a team report's "workflow" in issue titles and markers
# What team.json may name as a dashboard's files: `owner__name/<workflow>/<file>`, never a path out of the folder.
_DASHBOARD_FILE = re.compile(
    r"[a-z0-9_.-]+__[a-z0-9_.-]+/[A-Za-z0-9_-][A-Za-z0-9_.-]*/(?:reliability_report\.html|report\.json)"
)


@dataclass(frozen=True)
class ReportFolder:
    path: Path
    summary: str
    report: dict[str, Any]
    report_text: str
    html: str
    dashboards: tuple[tuple[str, str], ...] = ()  # a team's: (path in the folder, text) of each dashboard's files
    team: bool = False

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
    if (path / TEAM_JSON).is_file() and not (path / REPORT_JSON).exists():
        return read_team_folder(path)
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


def read_team_folder(path: Path) -> ReportFolder:
    """A team report's folder: its overview as the page, its matrix as the summary, its dashboards beside them."""
    texts = {}
    for name in (TEAM_JSON, SUMMARY_MD, TEAM_HTML):
        try:
            texts[name] = (path / name).read_text(encoding="utf-8")
        except OSError as err:
            why = err.strerror or err
            raise UsageError(f"{path / name}: the team report is incomplete ({why}); run it again") from err
    try:
        team = json.loads(texts[TEAM_JSON])
        rows = team["repositories"]
        files = [f for row in rows for f in (row.get("page"), row.get("report")) if f]
    except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as err:
        raise UsageError(f"{path / TEAM_JSON}: not the team.json a team report writes ({err})") from err
    dashboards = []
    for name in files:
        if not isinstance(name, str) or not _DASHBOARD_FILE.fullmatch(name) or ".." in name.split("/"):
            raise UsageError(f"{path / TEAM_JSON}: names {name!r} as a dashboard, not a file of the team folder")
        try:
            dashboards.append((name, (path / name).read_text(encoding="utf-8")))
        except OSError as err:
            why = err.strerror or err
            raise UsageError(f"{path / name}: a dashboard of the team report is missing ({why})") from err
    statuses = [{"status": status} for row in rows for status in (row.get("verdicts") or {}).values()]
    report = {"repo": "", "workflow": TEAM_WORKFLOW, "verdicts": statuses, "made_at": team.get("made_at", "")}
    return ReportFolder(path, texts[SUMMARY_MD], report, texts[TEAM_JSON], texts[TEAM_HTML], tuple(dashboards), True)
