"""The team dashboard: each repository's own report in a sub-folder, and an overview page over them.

Each repository and workflow is reported by `run_report`, the single report exactly as it is, into
`<out>/<owner>__<name>/<workflow>/`: its notebook runs once (a few at a time, each worker process
keeping one kernel for all the dashboards it makes, emptied before each: `kit/report/kernel.py`),
and the overview is built from the report.json each one wrote, never by judging again. The folder
(`index.html`, `team.json`, `summary.md` and the sub-folders) is static and self-contained, ready
for `codex-kit publish` or any web server.

`team.json` (schema `team.schema.json`): `made_at`, `kit_version`, `taxonomy_version`, `criteria`
(the five ids and short titles), `repositories` (one entry per repository and workflow, worst first:
`repo`, `workflow`, `state` (reported, no-codex, fetch-failed, not-cached, report-failed), `note`,
`hardened` (a hardened run was found, or a cutover given), `cutover`, `cutover_at`, `runs`,
`verdicts` (criterion id -> PASS / FAIL / NOT ENOUGH DATA), `worst`, `page` and `report` (paths in
the folder)), `codex_failures_by_week` (added up over all dashboards) and `any_fail`.

Each reported row also carries `fingerprint` (the SHA-256 of what its dashboard is made from:
`kit/report/fingerprint.py`), `made_at` (when its dashboard was made) and `reused`. A dashboard is made
only when it can have changed: when the previous team report in `--out` has a dashboard for the same
repository and workflow with the same fingerprint, its files are carried over (hard-linked, or
copied) instead of running the notebook again.

Like the single report, everything is made in a staging folder beside `--out` and moved into place
only when it is whole; an `--out` holding anything but an earlier team report is refused.
"""

from __future__ import annotations

import json
import multiprocessing
import multiprocessing.util
import os
import re
import shutil
import tempfile
import time
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from kit.analysis.parameters import ReportParameters
from kit.errors import KitError, ReportError, UsageError
from kit.history.cache import cache_folder
from kit.history.locations import default_cache_root
from kit.history.teamrecord import Outcome, RepoEntry
from kit.report.fingerprint import dashboard_fingerprint
from kit.report.kernel import KeptKernel
from kit.report.overview import State, TeamRow, overview_html, overview_markdown, team_json
from kit.report.run import OUTPUTS, run_report

TEAM_OUTPUTS = ("team.json", "summary.md", "index.html")


@dataclass
class TeamResult:
    out_dir: Path
    rows: list[TeamRow]
    team: dict[str, Any]
    seconds: float
    notebooks: int  # dashboards rendered now: one per repository and workflow whose inputs changed, never more
    reused: int = 0  # dashboards carried over unchanged from the previous team report

    @property
    def dashboards(self) -> int:
        return self.notebooks + self.reused

    @property
    def html(self) -> Path:
        return self.out_dir / "index.html"


def dashboard_folder(repo: str, workflow: str) -> str:
    """`owner__name/<workflow stem>`: the repository as its cache folder names it, the workflow made a safe name."""
    stem = re.sub(r"[^A-Za-z0-9_.-]", "_", workflow.rsplit(".", 1)[0]).lstrip(".") or "workflow"
    return f"{repo.lower().replace('/', '__')}/{stem}"


# The kernel of this report worker process (set by `_start_worker`): every dashboard the worker makes runs on it.
_WORKER_KERNEL: KeptKernel | None = None


def _start_worker() -> None:
    """A report worker keeps one kernel for all its dashboards, stopped when the worker exits."""
    global _WORKER_KERNEL
    _WORKER_KERNEL = KeptKernel()
    multiprocessing.util.Finalize(_WORKER_KERNEL, _WORKER_KERNEL.shutdown, exitpriority=10)


def _render_one(params: ReportParameters, kept: KeptKernel | None = None) -> dict[str, Any]:
    """One repository's dashboard (in a worker process, on its kernel): its report.json."""
    return run_report(params, kept=kept or _WORKER_KERNEL).report


def run_team_report(entries: list[RepoEntry], params: ReportParameters, workers: int | None = None) -> TeamResult:
    """Report every repository of `entries` (their workflows) into `params.out_dir`, with the overview.

    `params` holds what every dashboard shares (cache, thresholds, window); `repo` and `workflow`
    are set per row. `workers`: dashboards rendered at once (default: the CPUs, at most 4).
    """
    started = time.monotonic()
    out_dir = Path(params.out_dir).resolve()
    root = Path(params.cache_dir) if params.cache_dir else default_cache_root()
    _check_out(out_dir)
    staging = _staging(out_dir)
    try:
        rows, jobs = _plan(entries, root, params, staging)
        reused = _reuse(rows, jobs, _previous(out_dir), out_dir, staging)
        _render(rows, jobs, workers or min(os.cpu_count() or 1, 4))
        rows.sort(key=TeamRow.rank)
        made_at = pd.Timestamp.now(tz="UTC")
        team = team_json(rows, made_at)
        (staging / "team.json").write_text(json.dumps(team, indent=2), encoding="utf-8")
        (staging / "summary.md").write_text(overview_markdown(rows), encoding="utf-8")
        (staging / "index.html").write_text(overview_html(rows, made_at), encoding="utf-8")
        _swap(staging, out_dir)
    except OSError as err:
        raise ReportError(f"cannot write the team report ({err.filename or out_dir}: {err.strerror or err})") from err
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return TeamResult(out_dir, rows, team, time.monotonic() - started, len(jobs), reused)


def _plan(
    entries: list[RepoEntry], root: Path, params: ReportParameters, staging: Path
) -> tuple[list[TeamRow], dict[int, ReportParameters]]:
    """A row per repository and workflow; the rows with history get a dashboard to render (by row index)."""
    rows: list[TeamRow] = []
    jobs: dict[int, ReportParameters] = {}
    for entry in entries:
        if entry.outcome == Outcome.NO_CODEX:
            rows.append(TeamRow(entry.repo, None, State.NO_CODEX, "no Codex workflows: no workflow uses codex-action"))
            continue
        cached = cache_folder(root, entry.repo).is_dir()
        if not entry.workflows or not cached:
            rows.append(_unreported(entry, cached))
            continue
        for workflow in entry.workflows:
            folder = dashboard_folder(entry.repo, workflow)
            note = f"the last fetch failed: {entry.message}" if entry.outcome == Outcome.FAILED else ""
            job = replace(params, repo=entry.repo, workflow=workflow, out_dir=str(staging / folder), fetch=False)
            jobs[len(rows)] = job
            rows.append(TeamRow(entry.repo, workflow, State.REPORTED, note, folder=folder,
                                fingerprint=dashboard_fingerprint(root, job)))  # fmt: skip
    return rows, jobs


def _previous(out_dir: Path) -> dict[tuple[str, str], dict[str, Any]]:
    """The previous team report's dashboards by (repository, workflow); nothing when there is none to trust."""
    try:
        team = json.loads((out_dir / "team.json").read_text(encoding="utf-8"))
        rows = team["repositories"]
        return {(row["repo"].lower(), row["workflow"]): row for row in rows if row.get("fingerprint") and row["page"]}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}  # absent, damaged or written before fingerprints: every dashboard is made


def _reuse(
    rows: list[TeamRow], jobs: dict[int, ReportParameters], previous: dict[tuple[str, str], dict[str, Any]],
    out_dir: Path, staging: Path,
) -> int:  # fmt: skip
    """Carry over each dashboard whose fingerprint is the previous one's (its job is dropped): how many were."""
    carried = 0
    for index in list(jobs):
        row = rows[index]
        before = previous.get((row.repo.lower(), row.workflow or ""))
        if before is None or before["fingerprint"] != row.fingerprint or row.folder is None:
            continue
        source = out_dir / row.folder  # built here from checked names, never a path read from the old team.json
        report = _carry(source, staging / row.folder)
        if report is None:
            continue
        row.report, row.reused = report, True
        row.note = row.note or _data_note(row)
        del jobs[index]
        carried += 1
    return carried


def _carry(source: Path, target: Path) -> dict[str, Any] | None:
    """The dashboard's files hard-linked (or copied) from `source` into `target`, and its report.json;
    None (and nothing left in `target`) when any file is missing or its report.json does not read."""
    try:
        report = json.loads((source / OUTPUTS[0]).read_text(encoding="utf-8"))
        if not isinstance(report, dict) or not all((source / name).is_file() for name in OUTPUTS):
            return None
        target.mkdir(parents=True)
        for name in OUTPUTS:
            try:
                os.link(source / name, target / name)
            except OSError:
                shutil.copy2(source / name, target / name)
    except (OSError, ValueError):
        shutil.rmtree(target, ignore_errors=True)
        return None
    return report


def _unreported(entry: RepoEntry, cached: bool) -> TeamRow:
    if entry.outcome in (Outcome.FAILED, Outcome.NOT_FETCHED):
        said = f"{entry.status}: not fetched" if entry.status else "not fetched"
        return TeamRow(entry.repo, None, State.FETCH_FAILED, f"{said} ({entry.message})")
    if cached:
        return TeamRow(entry.repo, None, State.NOT_CACHED, "its cache holds no workflow's history")
    return TeamRow(
        entry.repo, None, State.NOT_CACHED, f"no history cached: run `codex-kit fetch --repo {entry.repo}` first"
    )


def _render(rows: list[TeamRow], jobs: dict[int, ReportParameters], workers: int) -> None:
    """Each dashboard once; a report that fails is its row's note, the others go on."""
    if not jobs:
        return
    pool: Executor | None = None
    kept: KeptKernel | None = None
    if workers > 1 and len(jobs) > 1:
        # Processes, not threads: one process's Jupyter clients are not safe to share between threads. Spawned, so
        # a caller's script needs the usual `if __name__ == "__main__":` guard (the `codex-kit` command has it).
        pool = ProcessPoolExecutor(
            min(workers, len(jobs)), mp_context=multiprocessing.get_context("spawn"), initializer=_start_worker
        )
    else:
        kept = KeptKernel()
    try:
        futures: dict[int, Future | dict[str, Any] | KitError] = {}
        for index, job in jobs.items():
            if pool is not None:
                futures[index] = pool.submit(_render_one, job)
            else:
                futures[index] = _inline(job, kept)
        for index, future in futures.items():
            outcome = _outcome(future)
            row = rows[index]
            if isinstance(outcome, KitError):
                row.state, row.folder = State.REPORT_FAILED, None
                row.note = f"the report failed: {outcome}"
            else:
                row.report = outcome
                row.note = row.note or _data_note(row)
    finally:
        if pool is not None:
            pool.shutdown()
        if kept is not None:
            kept.shutdown()


def _data_note(row: TeamRow) -> str:
    """What a row says when its verdicts cannot say much: no runs, not hardened yet, too few runs to judge."""
    runs = ((row.report or {}).get("period") or {}).get("runs", 0)
    if not runs:
        return "no runs of this workflow in the cache"
    if not row.hardened:
        return f"not hardened yet: none of its {runs} runs carries the kit's steps, so nothing after a cutover to judge"
    if all(v == "NOT ENOUGH DATA" for v in row.verdicts().values()):
        return f"too little data after the cutover to judge ({runs} runs in all)"
    return ""


def _inline(job: ReportParameters, kept: KeptKernel | None) -> dict[str, Any] | KitError:
    try:
        return _render_one(job, kept)
    except KitError as err:
        return err


def _outcome(future: Future | dict[str, Any] | KitError) -> dict[str, Any] | KitError:
    if not isinstance(future, Future):
        return future
    try:
        return future.result()
    except KitError as err:
        return err


def _check_out(out_dir: Path) -> None:
    """The team folder replaces an earlier one only: never a folder of someone else's files."""
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"--out {out_dir} is a file; give a folder for the team report")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not (out_dir / "team.json").exists():
        raise UsageError(f"--out {out_dir} holds files that are not a team report; give an empty or new folder")


def _staging(out_dir: Path) -> Path:
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".codex-kit", dir=out_dir.parent))
    except OSError as err:
        raise UsageError(f"--out {out_dir}: cannot write there ({err.strerror or err})") from err


def _swap(staging: Path, out_dir: Path) -> None:
    """The staged folder becomes `out_dir`; an earlier team report is set aside first and put back on failure."""
    previous = staging.with_name(staging.name + ".previous")
    if out_dir.exists():
        os.replace(out_dir, previous)
    try:
        os.replace(staging, out_dir)
    except OSError:
        if previous.exists():
            os.replace(previous, out_dir)
        raise
    shutil.rmtree(previous, ignore_errors=True)
