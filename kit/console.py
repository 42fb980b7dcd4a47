"""How each command's result reads: lines for a terminal, or JSON for a script.

The library returns values (a patch result, a fetch report, the report's verdicts); this module
is the one place that turns them into text, so the CLI stays a parser and the library never prints.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from kit.analysis.criteria import FAIL, NED, PASS
from kit.history.team import RepoFetch, TeamFetch
from kit.history.teamrecord import Outcome
from kit.patch import summary
from kit.patch.repo import RepoResult
from kit.publish.deliver import PatchDeliveries
from kit.publish.folder import HTML, SUMMARY_MD, TEAM_HTML, ReportFolder
from kit.publish.harden import FAILED, NOTHING, OPENED, UNCHANGED, UPDATED, WOULD_OPEN, WOULD_UPDATE
from kit.publish.run import PublishOutcome
from kit.vocabulary import HARDEN_BRANCH


def patch_json(result: RepoResult, mode: str) -> dict[str, Any]:
    """What `patch --json` prints: per file and job what changed, the notes, the DB-test outcome."""
    db = result.db_test
    return {
        "mode": mode,
        "written": result.written and bool(result.changed),  # true only when a file was really rewritten
        "files": [f.to_json() for f in result.files],
        "db_test": None
        if db is None
        else {"status": db.status, "message": db.message, "candidates": [c.describe() for c in db.candidates]},
        "summary": {
            "patched": len(result.changed),
            "unchanged": sum(f.status == "unchanged" for f in result.files),
            "refused": len(result.refused),
        },
    }


def patch_lines(result: RepoResult, check: bool) -> list[str]:
    """The human summary of a patch run (refusals are printed apart, on stderr)."""
    return summary.patch_lines(result, check)


def refusal_lines(result: RepoResult) -> list[str]:
    """Each refused file with its reason (the CLI prints them on stderr)."""
    return summary.refusal_lines(result)


def delivery_lines(outcome: PatchDeliveries) -> list[str]:
    """`patch --pr`: one line per repository (what was done to its pull request), then, indented, what the
    patch changed and refused there, in the words `codex-kit patch` prints."""
    lines = []
    for done in outcome.deliveries:
        if done.action in (OPENED, UPDATED, UNCHANGED, WOULD_UPDATE):
            lines.append(f"{done.repo}: {done.action} pull request {done.where}")
        elif done.action == WOULD_OPEN:
            lines.append(f"{done.repo}: would open a pull request from {HARDEN_BRANCH}")
        elif done.action == FAILED:
            lines.append(f"{done.repo}: failed: {done.error}")
        else:
            lines.append(f"{done.repo}: {done.action}")
        lines += [f"  note: {note}" for note in done.notes]
        if done.result is None or done.action == NOTHING:
            continue
        if done.action != UNCHANGED:  # an unchanged pull request already lists them
            lines += [f"  {line}" for line in summary.patch_lines(done.result, check=outcome.dry_run)]
        lines += [f"  {line}" for line in summary.refusal_lines(done.result)]
    return lines


def verdict_lines(report: dict[str, Any]) -> list[str]:
    """The report's verdicts, one per line, as `codex-kit report` prints them."""
    period = report["period"]
    span = f"{period['first_run'][:10]} to {period['last_run'][:10]}" if period["runs"] else "no runs"
    lines = [f"{report['repo']} {report['workflow']}: {span} ({period['runs']} runs); cutover {report['cutover']}"]
    lines += [f"  {v['status']:<16} {v['title']}: {v['figures']}" for v in report["verdicts"]]
    return lines


def classify_line(name: str, verdict: Any) -> str:
    """One saved log's verdict: file, category, rule, and the evidence line with its number."""
    where = f"line {verdict.line_no}" if verdict.line_no else "no line"
    return f"{name}: {verdict.category} (rule {verdict.rule or '-'}; {where}): {verdict.line}"


def warning_lines(report: dict[str, Any]) -> list[str]:
    """Why the report's history may be incomplete (stderr), each with the command that completes it."""
    return [f"codex-kit: warning: {warning}" for warning in report["period"]["warnings"]]


def publish_lines(outcome: PublishOutcome) -> list[str]:
    """What each publishing target did (the failures are raised apart, as one error)."""
    lines = []
    for done in outcome.published:
        lines.append(f"{done.target}: {done.action} {done.where}")
        lines += [f"  note: {note}" for note in done.notes]
    return lines


def job_outputs(folder: ReportFolder) -> list[str]:
    """The report as GitHub step outputs (`name=value` lines): the overall verdict, the files, a count per verdict
    (a team's page is its overview, its verdicts every repository's).

    The overall verdict is the worst one: FAIL when any criterion failed, else NOT ENOUGH DATA when any
    lacked data, else PASS.
    """
    counts = Counter(v["status"] for v in folder.report["verdicts"])
    overall = next((s for s in (FAIL, NED) if counts[s]), PASS)
    return [
        f"verdict={overall}",
        f"html={folder.path / (TEAM_HTML if folder.team else HTML)}",
        f"summary={folder.path / SUMMARY_MD}",
        f"passed={counts[PASS]}",
        f"failed={counts[FAIL]}",
        f"not-enough-data={counts[NED]}",
    ]


def team_fetch_lines(repo: RepoFetch) -> list[str]:
    """A repository's lines in a team fetch: what was fetched, or why not (on its own line, the others go on)."""
    if repo.outcome == Outcome.FETCHED:
        return [f"{repo.repo}: fetched {summary}" for summary in repo.summaries]
    if repo.outcome == Outcome.NO_CODEX:
        return [f"{repo.repo}: skipped: {repo.message}"]
    return [f"{repo.repo}: {repo.outcome}: {repo.message}"]


def team_fetch_summary(result: TeamFetch) -> str:
    fetched = sum(r.outcome == Outcome.FETCHED for r in result.repos)
    skipped = sum(r.outcome == Outcome.NO_CODEX for r in result.repos)
    failed = ", ".join(r.repo for r in result.failed)
    return (
        f"team fetch: {fetched} of {len(result.repos)} repositories fetched, {skipped} without a Codex workflow, "
        f"{len(result.failed)} failed or not fetched{f' ({failed})' if failed else ''}; {result.requests} requests "
        f"({result.discovery_requests} for discovery)"
    )


def team_report_lines(team: dict[str, Any]) -> list[str]:
    """One line per row of the team matrix, worst first: the verdicts, or why there are none."""
    lines = []
    for row in team["repositories"]:
        where = f"{row['repo']} {row['workflow']}" if row["workflow"] else row["repo"]
        verdicts = row["verdicts"]
        counts = Counter(verdicts.values())
        said = ", ".join(f"{counts[s]} {s}" for s in (FAIL, NED, PASS) if counts[s])
        note = f" ({row['note']})" if row["note"] else ""
        lines.append(f"{where}: {said or row['state']}{note}")
    return lines
