"""The rows a complete fetch of given payloads stores, without a server: how the sample is written.

The sample generator must write its history exactly as `codex-kit fetch` would store it, so the
decisions a fetch takes per job are taken here the same way: which jobs need a log, and which of
those the kit's own annotations explain (GitHub makes an annotation of every `##[error]`,
`##[warning]` and `##[notice]` line of a log, which is what a fetch would receive).
"""

from __future__ import annotations

import re
from typing import Any

from kit.history.annotations import annotation_rows, deciding_rule, kit_messages, may_need_no_log
from kit.history.schema import LogStatus
from kit.history.tables import Recognise, excerpt_rows, job_row, run_row, step_rows
from kit.taxonomy import load_taxonomy

_ANNOTATED_LINE = re.compile(r"##\[(?:error|warning|notice)\](.*)")


def log_annotations(log: str) -> list[str]:
    """The messages of the annotations GitHub makes of a log's lines, newest first as it lists them."""
    return [match[1].strip() for line in reversed(log.splitlines()) if (match := _ANNOTATED_LINE.search(line))]


def history_rows(
    runs: list[dict[str, Any]],
    jobs_by_run: dict[int, list[dict[str, Any]]],
    logs: dict[int, str],
    workflow: str,
    recognise: Recognise | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """The rows a complete fetch of these payloads stores (every needed log assumed downloaded)."""
    recognise = recognise or Recognise()
    rules = load_taxonomy().for_scope("codex")
    out: dict[str, list[dict[str, Any]]] = {"runs": [], "jobs": [], "steps": [], "log_lines": []}
    for run in runs:
        row = run_row(run, workflow)
        done = row["status"] == "completed"
        row["jobs_attempt"] = row["run_attempt"] if done else 0
        out["runs"].append(row)
        for job in jobs_by_run.get(row["run_id"], []) if done else []:
            steps = step_rows(job, recognise)
            jrow = job_row(job, steps, recognise)
            log = logs.get(jrow["job_id"])
            kept = kit_messages(log_annotations(log)) if log is not None else []
            codex_steps = sum(step["is_codex"] for step in steps)
            if not jrow["needs_log"]:
                jrow["log_status"] = LogStatus.NOT_NEEDED
            elif may_need_no_log(jrow, codex_steps) and deciding_rule(kept, rules) is not None:
                jrow["log_status"] = LogStatus.ANNOTATED
                out["log_lines"].extend(annotation_rows(jrow["job_id"], jrow["run_id"], kept))
            elif log is not None:
                jrow["log_status"] = LogStatus.FETCHED
                out["log_lines"].extend(excerpt_rows(jrow["job_id"], jrow["run_id"], log))
            else:
                jrow["log_status"] = LogStatus.GONE
            out["jobs"].append(jrow)
            out["steps"].extend(steps)
    return out
