"""HTML and Markdown views of an analysis: the verdict table, the latest failures, the summary.

Everything is escaped; links go to GitHub runs and jobs. The views never include log text beyond
the one classified line per failure (which the classifier already keeps as evidence).
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import pandas as pd

from kit.analysis.completeness import Completeness
from kit.analysis.criteria import FAIL, NED, PASS, Analysis
from kit.taxonomy import NOT_FAILURES, load_taxonomy

COLOURS = {PASS: "#2e7d32", FAIL: "#c62828", NED: "#757575"}
STYLE = (
    "<style>table.verdicts, table.failures {border-collapse: collapse; width: 100%; font-size: 13px}"
    " table.verdicts td, table.verdicts th, table.failures td, table.failures th"
    " {text-align: left !important; vertical-align: top; padding: 4px 8px; border-bottom: 1px solid #ddd}"
    " table.verdicts td:nth-child(2) {width: 9em; text-align: center !important}"
    " table.failures code {white-space: pre-wrap; font-size: 12px}</style>"
)


def _link(url: str, text: str) -> str:
    return f'<a href="{html.escape(url)}">{html.escape(text)}</a>' if url else html.escape(text)


def verdict_html(analysis: Analysis) -> str:
    rows = []
    for verdict in analysis.verdicts:
        colour = COLOURS[verdict.status]
        links = ", ".join(_link(url, label) for label, url in verdict.evidence) or "—"
        rows.append(
            f"<tr><td>{html.escape(verdict.title)}</td>"
            f'<td style="color:white;background:{colour};font-weight:bold;text-align:center">{verdict.status}</td>'
            f"<td>{html.escape(verdict.figures)}</td><td>{links}</td></tr>"
        )
    head = "<tr><th>Success criterion</th><th>Verdict</th><th>Figures</th><th>Runs</th></tr>"
    return f'{STYLE}<table class="verdicts">{head}{"".join(rows)}</table>'


def latest_failures_html(analysis: Analysis, limit: int = 25) -> str:
    failures = analysis.failures[~analysis.failures["category"].isin(NOT_FAILURES)]
    latest = failures.sort_values("created_at", ascending=False).head(limit)
    meanings = load_taxonomy().describe()
    rows = []
    for row in latest.itertuples(index=False):
        when = row.created_at.strftime("%Y-%m-%d %H:%M") if not pd.isna(row.created_at) else ""
        run_id = row.run_url.rsplit("/", 1)[-1] if row.run_url else ""
        line = f"line {row.line_no}: {row.line}" if row.line_no else (row.rule or "no log line")
        remedy = meanings.get(row.category, ("", ""))[1]
        rows.append(
            f"<tr><td>{when}</td><td>{_link(row.run_url, run_id)}</td><td>{_link(row.job_url, row.job_name)}</td>"
            f"<td>{html.escape(row.window)}{' (a rerun passed)' if row.fixed_by_rerun else ''}</td>"
            f"<td><b>{html.escape(row.category)}</b></td>"
            f"<td><code>{html.escape(line[:220])}</code></td><td>{html.escape(remedy)}</td></tr>"
        )
    titles = ("When", "Run", "Job", "Window", "Category", "Evidence", "What to do")
    head = "<tr>" + "".join(f"<th>{t}</th>" for t in titles) + "</tr>"
    return f'<table class="failures">{head}{"".join(rows)}</table>'


def warnings_html(completeness: Completeness) -> str:
    """A banner that says the history is incomplete and what to run; nothing when it is complete."""
    if not completeness.warnings:
        return ""
    items = "".join(f"<li>{html.escape(w)}</li>" for w in completeness.warnings)
    return (
        '<div class="warnings" style="border-left:5px solid #e65100;background:#fff3e0;padding:8px 14px;'
        'margin:8px 0"><b>The history behind this report is incomplete</b>, so its figures may be wrong:'
        f"<ul>{items}</ul></div>"
    )


def summary_markdown(analysis: Analysis, completeness: Completeness, repo: str, workflow: str) -> str:
    lines = [f"## Codex reliability: {repo} `{workflow}`", ""]
    lines += [f"Period: {completeness.period()}. Cutover: {analysis.cutover.describe()}.", ""]
    if completeness.warnings:
        lines += ["> **The history is incomplete**, so these figures may be wrong:"]
        lines += [f"> - {w}" for w in completeness.warnings] + [""]
    lines += ["| Criterion | Verdict | Figures |", "|---|---|---|"]
    for verdict in analysis.verdicts:
        figures = verdict.figures.replace("|", "/")
        lines.append(f"| {verdict.title} | **{verdict.status}** | {figures} |")
    rates = analysis.rates
    if not rates.empty:
        lines += ["", "| Category | Before | After | p (Fisher) |", "|---|---|---|---|"]
        for row in rates.itertuples(index=False):
            lines.append(
                f"| {row.category} | {row.before_failures}/{row.before_attempts} | "
                f"{row.after_failures}/{row.after_attempts} | {row.fisher_p:.3g} |"
            )
    return "\n".join(lines) + "\n"


def write_outputs(analysis: Analysis, completeness: Completeness, out_dir: Path, repo: str, workflow: str) -> dict:
    """report.json (verdicts, for the CLI and for CI) and summary.md (for $GITHUB_STEP_SUMMARY)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    report = {
        "repo": repo,
        "workflow": workflow,
        "cutover": analysis.cutover.describe(),
        "period": completeness.to_json(),
        "verdicts": [
            {
                "id": v.id,
                "title": v.title,
                "status": v.status,
                "figures": v.figures,
                "evidence": [u for _, u in v.evidence],
                "counts": v.counts,
            }
            for v in analysis.verdicts
        ],
        "any_fail": analysis.any_fail,
    }
    (out_dir / "report.json").write_text(json.dumps(report, indent=2))
    (out_dir / "summary.md").write_text(summary_markdown(analysis, completeness, repo, workflow))
    return report
