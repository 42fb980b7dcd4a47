"""HTML and Markdown views of an analysis: the verdict table, the latest failures, the summary.

Everything is escaped; links go to GitHub runs and jobs. The views never include log text beyond
the one classified line per failure (which the classifier already keeps as evidence).
"""

from __future__ import annotations

import html
import json
import math
import re
from pathlib import Path

import pandas as pd

from kit import __version__
from kit.analysis.completeness import Completeness
from kit.analysis.criteria import FAIL, NED, PASS, Analysis
from kit.history.cache import History
from kit.history.locations import is_web_link
from kit.report import charts, palette
from kit.taxonomy import NOT_FAILURES, load_taxonomy

COLOURS = {PASS: "#2e7d32", FAIL: "#c62828", NED: "#757575"}
STYLE = (
    "<style>table.verdicts, table.failures, table.rates {border-collapse: collapse; width: 100%; font-size: 13px}"
    " table.verdicts td, table.verdicts th, table.failures td, table.failures th, table.rates td, table.rates th"
    " {text-align: left !important; vertical-align: top; padding: 4px 8px; border-bottom: 1px solid #ddd}"
    " table.verdicts td:nth-child(2) {width: 9em; text-align: center !important}"
    " table.rates td.num {text-align: right !important; font-variant-numeric: tabular-nums}"
    " div.scroll {overflow-x: auto} table.failures {table-layout: fixed; min-width: 1050px}"
    " table.failures th:nth-child(1) {width: 8.5em} table.failures th:nth-child(2) {width: 8.5em}"
    " table.failures th:nth-child(3) {width: 9em} table.failures th:nth-child(4) {width: 5.5em}"
    " table.failures th:nth-child(5) {width: 9.5em} table.failures th:nth-child(7) {width: 22%}"
    " table.failures .evidence div {font-family: monospace; font-size: 12px; white-space: pre-wrap;"
    " word-break: break-word; display: -webkit-box; -webkit-line-clamp: 6; -webkit-box-orient: vertical;"
    " overflow: hidden}</style>"
)
_RUN = re.compile(r"/runs/(\d+)")
_WORKFLOW_COMMAND = re.compile(r"^(?:##\[(?:error|warning|notice)\]|::(?:error|warning|notice)[^:]*::)")


def _link(url: str, text: str, root: str) -> str:
    """A link only to a GitHub page under `root` (anything else from the cache is shown as text, never followed)."""
    if is_web_link(url, root):
        return f'<a href="{html.escape(url)}">{html.escape(text)}</a>'
    return html.escape(text)


def _label(url: str) -> str:
    """`run 123` for a run's or a job's page: what a reader looks for in a link."""
    found = _RUN.search(url)
    return f"run {found.group(1)}" if found else url.rsplit("/", 1)[-1]


def header_html(
    repo: str, workflow: str, completeness: Completeness, analysis: Analysis, jobs: int, source: str
) -> str:
    """The line under the title: which repository and workflow, which period, when the hardening landed."""
    parts = [f"<b>{html.escape(repo)}</b>", f"<code>{html.escape(workflow)}</code>",
             html.escape(f"{completeness.period()}, {jobs} job attempts"),
             html.escape(f"cutover {analysis.cutover.describe()}"), html.escape(source)]  # fmt: skip
    return "<p>" + " · ".join(parts) + "</p>"


def verdict_html(analysis: Analysis) -> str:
    rows = []
    for verdict in analysis.verdicts:
        colour = COLOURS[verdict.status]
        links = ", ".join(_link(url, _label(url), analysis.web_root) for _, url in verdict.evidence) or "—"
        rows.append(
            f"<tr><td>{html.escape(verdict.title)}</td>"
            f'<td style="color:white;background:{colour};font-weight:bold;text-align:center">{verdict.status}</td>'
            f"<td>{html.escape(verdict.figures)}</td><td>{links}</td></tr>"
        )
    head = "<tr><th>Success criterion</th><th>Verdict</th><th>Figures</th><th>Evidence</th></tr>"
    return f'{STYLE}<table class="verdicts">{head}{"".join(rows)}</table>'


def latest_failures_html(analysis: Analysis, limit: int = 25) -> str:
    failures = analysis.failures[~analysis.failures["category"].isin(NOT_FAILURES)]
    latest = failures.sort_values("created_at", ascending=False).head(limit)
    meanings = analysis.taxonomy.describe()
    rows = []
    for row in latest.itertuples(index=False):
        when = row.created_at.strftime("%Y-%m-%d %H:%M") if not pd.isna(row.created_at) else ""
        evidence = _WORKFLOW_COMMAND.sub("", row.line) if row.line else "(no log line: the log was not kept)"
        where = (
            f"log line {row.line_no}" if row.line_no > 0
            else "the kit's annotation (no log needed)" if row.line_no < 0
            else (row.rule or "")
        )  # fmt: skip
        remedy = meanings.get(row.category, ("", ""))[1]
        rows.append(
            f"<tr><td>{when}</td><td>{_link(row.run_url, _label(row.run_url), analysis.web_root)}</td>"
            f"<td>{_link(row.job_url, row.job_name, analysis.web_root)}</td>"
            f"<td>{html.escape(row.window)}{' (a rerun passed)' if row.fixed_by_rerun else ''}</td>"
            f"<td><b>{html.escape(row.category)}</b></td>"
            f'<td class="evidence"><div title="{html.escape(where)}">{html.escape(evidence[:600])}</div></td>'
            f"<td>{html.escape(remedy)}</td></tr>"
        )
    titles = ("When", "Run", "Job", "Window", "Category", "Evidence", "What to do")
    head = "<tr>" + "".join(f"<th>{t}</th>" for t in titles) + "</tr>"
    return f'<div class="scroll"><table class="failures">{head}{"".join(rows)}</table></div>'


def _p_value(p: float) -> str:
    if pd.isna(p):
        return "—"
    return "&lt;0.001" if p < 0.001 else f"{p:.3f}"


def rates_html(analysis: Analysis) -> str:
    """Per category: failures and rate before and after, the change, and Fisher's p in one notation."""
    rates = analysis.rates
    if rates.empty:
        return "<p>No Codex failures in this period.</p>"
    rows = []
    for row in rates.set_index("category").loc[palette.order(list(rates["category"]))].reset_index().itertuples():
        cells = [f"<td>{html.escape(row.category)}</td>", f"<td>{html.escape(palette.family_of(row.category))}</td>"]
        for side in ("before", "after"):
            failures, attempts, rate = (getattr(row, f"{side}_{k}") for k in ("failures", "attempts", "rate"))
            shown = "—" if pd.isna(rate) else f"{rate:.1%}"
            cells.append(f'<td class="num">{failures} of {attempts}</td><td class="num">{shown}</td>')
        change = (row.after_rate - row.before_rate) * 100
        cells.append(f'<td class="num">{"—" if pd.isna(change) else f"{change:+.1f} pts"}</td>')
        significant = (
            "" if pd.isna(row.fisher_p) else (" (a real change)" if row.fisher_p < 0.05 else " (could be chance)")
        )
        cells.append(f'<td class="num">{_p_value(row.fisher_p)}{significant}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    titles = ("Category", "Family", "Failures before", "Rate before", "Failures after", "Rate after", "Change",
              "p (Fisher's exact test)")  # fmt: skip
    head = "<tr>" + "".join(f"<th>{t}</th>" for t in titles) + "</tr>"
    return f'<table class="rates">{head}{"".join(rows)}</table>'


def sample_banner_html(history: History) -> str:
    """Say plainly when the dashboard shows the synthetic sample rather than a real repository."""
    if not history.state.get("sample"):
        return ""
    return (
        '<div style="border-left:5px solid #1565c0;background:#e3f2fd;padding:8px 14px;margin:8px 0">'
        "<b>Synthetic sample.</b> This dashboard shows the history shipped with codex-kit for a fictional "
        "repository; run <code>codex-kit report --repo OWNER/REPO --fetch</code> for your own.</div>"
    )


def footer_html(completeness: Completeness, made_at: pd.Timestamp) -> str:
    """Versions, data range and time of making: what a reader needs to trust or question the page."""
    taxonomy = load_taxonomy()
    return (
        '<p style="color:#666;font-size:12px;border-top:1px solid #ddd;padding-top:6px">'
        f"codex-kit {html.escape(__version__)} · failure taxonomy v{taxonomy.version} · data "
        f"{html.escape(completeness.period())} · made {made_at:%Y-%m-%d %H:%M} UTC</p>"
    )


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


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]|~#])")
_MARKDOWN_LEADING = re.compile(r"^(\d+)([.)])|^([-+!>])")


def markdown_text(text: str) -> str:
    """`text` as literal Markdown (GitHub's flavour): no emphasis, link, table cell, list or HTML comes of it.

    The summary lands in the job summary, an issue or a PR comment, where a repository, workflow or
    category name written by someone else must read as itself and nothing more. Only what Markdown
    reads as syntax is escaped, so the file stays readable as plain text.
    """
    flat = _MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(" ".join(str(text).split()), quote=False))
    return _MARKDOWN_LEADING.sub(lambda m: f"{m[1]}\\{m[2]}" if m[1] else f"\\{m[3]}", flat)


def summary_markdown(analysis: Analysis, completeness: Completeness, repo: str, workflow: str) -> str:
    md = markdown_text
    lines = [f"## Codex reliability: {md(repo)}, workflow {md(workflow)}", ""]
    lines += [f"Period: {md(completeness.period())}. Cutover: {md(analysis.cutover.describe())}.", ""]
    if completeness.warnings:
        lines += ["> **The history is incomplete**, so these figures may be wrong:"]
        lines += [f"> - {md(w)}" for w in completeness.warnings] + [""]
    lines += ["| Criterion | Verdict | Figures |", "|---|---|---|"]
    for verdict in analysis.verdicts:
        lines.append(f"| {md(verdict.title)} | **{verdict.status}** | {md(verdict.figures)} |")
    rates = analysis.rates
    if not rates.empty:
        lines += ["", "| Category | Before | After | p (Fisher) |", "|---|---|---|---|"]
        for row in rates.itertuples(index=False):
            lines.append(
                f"| {md(row.category)} | {row.before_failures}/{row.before_attempts} | "
                f"{row.after_failures}/{row.after_attempts} | {row.fisher_p:.3g} |"
            )
    return "\n".join(lines) + "\n"


def category_records(analysis: Analysis) -> list[dict]:
    """The per-category table as plain numbers (no NaN: JSON has none, so a missing rate is null)."""
    records = analysis.rates.to_dict("records") if not analysis.rates.empty else []
    return [{k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()} for r in records]


def weekly_records(analysis: Analysis) -> list[dict]:
    """The categories chart's numbers (week's Monday, category, failures), so a team page can add them up."""
    weekly = charts.weekly_categories(analysis)
    if weekly.empty:
        return []
    counts = weekly.stack()
    return [
        {"week": week.strftime("%Y-%m-%d"), "category": str(category), "failures": int(n)}
        for (week, category), n in counts.items()
        if n
    ]


def write_outputs(
    analysis: Analysis, completeness: Completeness, out_dir: Path, repo: str, workflow: str, made_at: pd.Timestamp
) -> dict:
    """report.json (verdicts and numbers, for the CLI and for CI; schema `report.schema.json`) and
    summary.md (for $GITHUB_STEP_SUMMARY)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    report = {
        "repo": repo,
        "workflow": workflow,
        "made_at": made_at.isoformat(),
        "kit_version": __version__,
        "taxonomy_version": load_taxonomy().version,
        "cutover": analysis.cutover.describe(),
        "cutover_at": None if analysis.cutover.at is None else analysis.cutover.at.isoformat(),
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
        "categories": category_records(analysis),
        "codex_failures_by_week": weekly_records(analysis),
        "any_fail": analysis.any_fail,
    }
    (out_dir / "report.json").write_text(json.dumps(report, indent=2))
    (out_dir / "summary.md").write_text(summary_markdown(analysis, completeness, repo, workflow))
    return report
