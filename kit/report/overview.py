"""The team overview: one row per repository and workflow, read from each one's own report.json.

The matrix is never judged again here: each verdict cell is the status its repository's dashboard
shows (`kit/analysis/criteria.py` ran once, in that dashboard's notebook), and the categories
chart adds up the weekly counts each report.json carries. A repository without a dashboard (no
Codex workflow, a fetch GitHub refused, nothing cached, a report that failed) is a row that says
so. Everything from a cache, a record or GitHub is escaped; the page links only to the dashboards
in its own folder, by paths built here from checked names.
"""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass
from typing import Any

import pandas as pd

from kit import __version__
from kit.analysis.criteria import FAIL, NED, PASS
from kit.report import charts
from kit.report.views import COLOURS, STYLE, markdown_text
from kit.taxonomy import load_taxonomy

CRITERIA = ("server-info", "non-blocking", "fork-guard", "db-active-count", "actionable")  # report.schema.json's ids
SHORT = {
    "server-info": "No server-info errors",
    "non-blocking": "Blocks nothing",
    "fork-guard": "Fork PRs skipped",
    "db-active-count": "DB ACTIVE count",
    "actionable": "Failures explained",
}


class State:
    """Why a row has, or has not, a dashboard (team.json's `state`)."""

    REPORTED = "reported"
    NO_CODEX = "no-codex"  # no workflow uses openai/codex-action
    FETCH_FAILED = "fetch-failed"  # GitHub refused the fetch (403, 404, …) and nothing is cached
    NOT_CACHED = "not-cached"  # never fetched into this cache
    REPORT_FAILED = "report-failed"


@dataclass
class TeamRow:
    repo: str
    workflow: str | None
    state: str
    note: str = ""
    report: dict[str, Any] | None = None
    folder: str | None = None  # the dashboard's folder, relative to the team folder
    fingerprint: str | None = None  # what the dashboard was made from (kit/report/fingerprint.py)
    reused: bool = False  # carried over from the previous team report, not made now

    def verdicts(self) -> dict[str, str]:
        return {v["id"]: v["status"] for v in (self.report or {}).get("verdicts", [])}

    @property
    def hardened(self) -> bool | None:
        return None if self.report is None else self.report.get("cutover_at") is not None

    @property
    def worst(self) -> str | None:
        found = set(self.verdicts().values())
        return next((s for s in (FAIL, NED, PASS) if s in found), None)

    def rank(self) -> tuple:
        """Worst first: most FAILs, then rows without a dashboard, then most NOT ENOUGH DATA; no Codex last."""
        statuses = list(self.verdicts().values())
        group = 0 if FAIL in statuses else 3 if self.state == State.NO_CODEX else 1 if self.report is None else 2
        return (group, -statuses.count(FAIL), -statuses.count(NED), self.repo.lower(), self.workflow or "")

    @property
    def made_at(self) -> str | None:
        """When the dashboard was made (its own report.json says): now, or by an earlier team report."""
        return None if self.report is None else self.report.get("made_at")

    def to_json(self) -> dict[str, Any]:
        report = self.report or {}
        return {
            "repo": self.repo,
            "workflow": self.workflow,
            "state": self.state,
            "note": self.note,
            "hardened": self.hardened,
            "cutover": report.get("cutover"),
            "cutover_at": report.get("cutover_at"),
            "runs": (report.get("period") or {}).get("runs"),
            "verdicts": self.verdicts(),
            "worst": self.worst,
            "page": f"{self.folder}/reliability_report.html" if self.folder else None,
            "report": f"{self.folder}/report.json" if self.folder else None,
            "fingerprint": self.fingerprint if self.report is not None else None,
            "made_at": self.made_at,
            "reused": self.reused,
        }


def weekly_total(rows: list[TeamRow]) -> pd.DataFrame:
    """Codex failures per week and category, added up over every dashboard of the team."""
    records = [r for row in rows for r in (row.report or {}).get("codex_failures_by_week", [])]
    if not records:
        return pd.DataFrame()
    frame = pd.DataFrame(records).assign(week=lambda f: pd.to_datetime(f["week"]))
    return frame.pivot_table(index="week", columns="category", values="failures", aggfunc="sum", fill_value=0)


def team_json(rows: list[TeamRow], made_at: pd.Timestamp) -> dict[str, Any]:
    weekly = weekly_total(rows)
    by_week = (
        [{"week": f"{w:%Y-%m-%d}", "category": str(c), "failures": int(n)} for (w, c), n in weekly.stack().items() if n]
        if not weekly.empty
        else []
    )
    return {
        "made_at": made_at.isoformat(),
        "kit_version": __version__,
        "taxonomy_version": load_taxonomy().version,
        "criteria": [{"id": c, "title": SHORT[c]} for c in CRITERIA],
        "repositories": [row.to_json() for row in rows],
        "codex_failures_by_week": by_week,
        "any_fail": any(row.worst == FAIL for row in rows),
    }


def _cell(status: str | None) -> str:
    if status is None:
        return '<td class="none">—</td>'
    return f'<td style="color:white;background:{COLOURS[status]};font-weight:bold;text-align:center">{status}</td>'


def _hardened(row: TeamRow) -> str:
    if row.report is None:
        return "—"
    cutover = html.escape(str(row.report.get("cutover") or ""))
    return f"yes, {cutover}" if row.hardened else f"no ({cutover})"


def _made(row: TeamRow) -> str:
    """The dashboard column: made by this team report, or reused from an earlier one (and when that was)."""
    if row.report is None:
        return "—"
    made = pd.Timestamp(row.made_at) if row.made_at else None
    when = f"{made:%Y-%m-%d %H:%M} UTC" if made is not None else "at an unknown time"
    return f"reused (made {when})" if row.reused else f"made now ({when})"


def _row_html(row: TeamRow) -> str:
    name = html.escape(row.repo)
    if row.folder:
        name = f'<a href="{html.escape(row.folder)}/reliability_report.html">{name}</a>'
    verdicts = row.verdicts()
    cells = "".join(_cell(verdicts.get(c)) for c in CRITERIA)
    runs = (row.report or {}).get("period", {}).get("runs")
    return (
        f"<tr><td>{name}</td><td><code>{html.escape(row.workflow or '—')}</code></td><td>{_hardened(row)}</td>"
        f"{cells}<td>{'—' if runs is None else runs}</td><td>{_made(row)}</td><td>{html.escape(row.note)}</td></tr>"
    )


def overview_html(rows: list[TeamRow], made_at: pd.Timestamp) -> str:
    """index.html: the verdict matrix (worst first), hardened or not, the team's failures per week. No script."""
    head = "".join(f"<th>{html.escape(SHORT[c])}</th>" for c in CRITERIA)
    table = (
        f'<table class="verdicts team"><tr><th>Repository</th><th>Workflow</th><th>Hardened (cutover)</th>{head}'
        f"<th>Runs</th><th>Dashboard</th><th>Note</th></tr>{''.join(_row_html(r) for r in rows)}</table>"
    )
    weekly = weekly_total(rows)
    chart = "Codex failures by category, all repositories"
    figure = charts.stacked_weekly(weekly, chart, "Codex failures per week", 4.2)
    image = base64.b64encode(charts.png(figure)).decode()
    fails = sum(row.worst == FAIL for row in rows)
    reported = sum(row.report is not None for row in rows)
    title = f"Codex reliability: {len({r.repo.lower() for r in rows})} repositories"
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>{STYLE}'
        "<style>body{font-family:system-ui,sans-serif;margin:24px;max-width:1400px}"
        " table.team td.none{color:#999;text-align:center} table.team td:nth-child(2){width:auto}</style></head>"
        f"<body><h1>{html.escape(title)}</h1><p>{reported} dashboards, {fails} with a FAILed criterion. Each row "
        "links to its repository's own dashboard; the verdicts are the ones shown there, worst first.</p>"
        f"<h2>Verdicts</h2>{table}<h2>Codex failures over time</h2>"
        f'<img alt="Codex failures per week by category, all repositories" src="data:image/png;base64,{image}" '
        'style="max-width:100%">'
        f'<p style="color:#666;font-size:12px;border-top:1px solid #ddd;padding-top:6px">codex-kit '
        f"{html.escape(__version__)} · failure taxonomy v{load_taxonomy().version} · made {made_at:%Y-%m-%d %H:%M} "
        "UTC</p></body></html>"
    )


def overview_markdown(rows: list[TeamRow]) -> str:
    """summary.md: the matrix as a Markdown table (job summaries, issues, PR comments)."""
    md = markdown_text
    lines = [f"## Codex reliability: {len({r.repo.lower() for r in rows})} repositories", ""]
    lines += ["| Repository | Workflow | Hardened | " + " | ".join(SHORT[c] for c in CRITERIA) + " | Note |"]
    lines += ["|---" * (len(CRITERIA) + 4) + "|"]
    for row in rows:
        verdicts = row.verdicts()
        hardened = "—" if row.hardened is None else "yes" if row.hardened else "no"
        cells = " | ".join(f"**{verdicts[c]}**" if c in verdicts else "—" for c in CRITERIA)
        lines.append(f"| {md(row.repo)} | {md(row.workflow or '—')} | {hardened} | {cells} | {md(row.note)} |")
    return "\n".join(lines) + "\n"
