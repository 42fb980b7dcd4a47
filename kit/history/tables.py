"""Turn GitHub's run, job and log payloads into the rows of the history tables.

The same functions serve the live fetch and the sample-history generator, so the sample is in
exactly the fetch's format. Which steps are Codex steps is read from step names: the runner names
an unnamed `uses:` step `Run openai/codex-action@…`; a named one is recognised by "codex" in its
name (the pattern is a parameter); the kit's own steps are recognised by their exact names.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from typing import Any

from kit.errors import UsageError
from kit.taxonomy import load_taxonomy
from kit.vocabulary import (
    CODEX_ACTION,
    CONTRACT_STEP_NAME,
    KIT_STEP_NAMES,
    MESSAGE_PREFIX,
    PR_EVENTS,
    PREFLIGHT_STEP_NAME,
    PREPARE_STEP_NAME,
)

_TIMESTAMP = re.compile(r"^\ufeff?\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z ")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_GENERIC = re.compile(
    r"##\[(?:error|warning)\]|" + re.escape(MESSAGE_PREFIX) + r"|error|fail|not ok|assert|exit code", re.IGNORECASE
)


CODEX_STEP_PATTERN = r"codex"
DB_JOB_PATTERN = r"\b(db|database|pgtap|postgres|sql|policy|policies)\b"


@dataclass(frozen=True)
class Recognise:
    """How Codex steps and DB-test jobs are recognised by name."""

    codex: re.Pattern[str] = re.compile(CODEX_STEP_PATTERN, re.IGNORECASE)
    db_test: re.Pattern[str] = re.compile(DB_JOB_PATTERN, re.IGNORECASE)

    @classmethod
    def from_patterns(cls, codex: str = CODEX_STEP_PATTERN, db_test: str = DB_JOB_PATTERN) -> Recognise:
        """Both patterns compiled case-insensitively; a pattern that does not compile is the user's to fix."""
        try:
            return cls(re.compile(codex, re.IGNORECASE), re.compile(db_test, re.IGNORECASE))
        except re.error as err:
            raise UsageError(f"{err.pattern!r} is not a valid regular expression: {err}") from err

    def is_codex_step(self, name: str) -> bool:
        return name not in KIT_STEP_NAMES and (
            CODEX_ACTION in name or (bool(self.codex.search(name)) and not name.startswith("Post "))
        )


def run_row(run: dict[str, Any], workflow: str) -> dict[str, Any]:
    repo = (run.get("repository") or {}).get("full_name")
    head = run.get("head_repository") or {}
    event = run.get("event")
    return {
        "run_id": int(run["id"]),
        "workflow": workflow,
        "run_number": int(run.get("run_number") or 0),
        "run_attempt": int(run.get("run_attempt") or 1),
        "name": run.get("name") or "",
        "event": event,
        "status": run.get("status") or "",
        "conclusion": run.get("conclusion") or "",
        "head_branch": run.get("head_branch") or "",
        "head_sha": run.get("head_sha") or "",
        "head_repo": head.get("full_name") or "",
        "base_repo": repo or "",
        "is_fork_pr": bool(event in PR_EVENTS and head.get("full_name") and repo and head.get("full_name") != repo),
        "pull_requests": ",".join(str(p.get("number")) for p in run.get("pull_requests") or []),
        "actor": (run.get("actor") or {}).get("login") or "",
        "created_at": run.get("created_at"),
        "updated_at": run.get("updated_at"),
        "run_started_at": run.get("run_started_at"),
        "html_url": run.get("html_url") or "",
    }


def step_rows(job: dict[str, Any], recognise: Recognise) -> list[dict[str, Any]]:
    rows = []
    for step in job.get("steps") or []:
        name = step.get("name") or ""
        rows.append(
            {
                "job_id": int(job["id"]),
                "run_id": int(job["run_id"]),
                "number": int(step.get("number") or 0),
                "name": name,
                "status": step.get("status") or "",
                "conclusion": step.get("conclusion") or "",
                "started_at": step.get("started_at"),
                "completed_at": step.get("completed_at"),
                "is_codex": recognise.is_codex_step(name),
                "kit_step": name if name in KIT_STEP_NAMES else "",
            }
        )
    return rows


def job_row(job: dict[str, Any], steps: list[dict[str, Any]], recognise: Recognise) -> dict[str, Any]:
    """A job with the facts the report needs, all read from the jobs API (no log required)."""
    codex = [s for s in steps if s["is_codex"]]
    by_kit = {s["kit_step"]: s["conclusion"] for s in steps if s["kit_step"]}
    name = job.get("name") or ""
    has_db = bool(recognise.db_test.search(name)) or any(recognise.db_test.search(s["name"]) for s in steps)
    conclusion = job.get("conclusion") or ""
    codex_failed = any(s["conclusion"] == "failure" for s in codex)
    contract_ran = by_kit.get(CONTRACT_STEP_NAME) == "success"
    troubled = conclusion in ("failure", "cancelled", "timed_out") or codex_failed or contract_ran
    return {
        "job_id": int(job["id"]),
        "run_id": int(job["run_id"]),
        "run_attempt": int(job.get("run_attempt") or 1),
        "name": name,
        "status": job.get("status") or "",
        "conclusion": conclusion,
        "started_at": job.get("started_at"),
        "completed_at": job.get("completed_at"),
        "html_url": job.get("html_url") or "",
        "has_codex": bool(codex),
        "has_db_test": has_db and not codex,
        "hardened": PREPARE_STEP_NAME in by_kit or PREFLIGHT_STEP_NAME in by_kit,
        "codex_conclusion": codex[0]["conclusion"] if codex else "",
        "preflight_conclusion": by_kit.get(PREFLIGHT_STEP_NAME, ""),
        "contract_conclusion": by_kit.get(CONTRACT_STEP_NAME, ""),
        "needs_log": bool((codex or has_db) and troubled),
    }


def clean_line(line: str) -> str:
    return _ANSI.sub("", _TIMESTAMP.sub("", line.lstrip("\ufeff"))).rstrip("\r")


def excerpt_rows(job_id: int, run_id: int, log: str, signal: re.Pattern[str] | None = None) -> list[dict[str, Any]]:
    """The lines worth classifying, with their line numbers and the step group they sit in.

    `signal` is the taxonomy's "any rule could look at this" pattern (the shipped rules' by default);
    pass `load_taxonomy(extra).signal()` so that a team's extra rules see their lines too.
    """
    excerpt = LogExcerpt(job_id, run_id, signal)
    excerpt.feed(log)
    return excerpt.close()


class LogExcerpt:
    """`excerpt_rows` for a log that arrives in pieces: only the kept lines and one partial line are held.

    A log can be hundreds of megabytes; it is streamed to disk and read back in chunks, and nothing
    but the lines worth classifying stays in memory. A line is judged on its first `LONGEST`
    characters (GitHub's own lines are far shorter), so one endless line cannot fill the memory either.
    """

    LONGEST = 64 * 1024

    def __init__(self, job_id: int, run_id: int, signal: re.Pattern[str] | None = None) -> None:
        self.job_id, self.run_id = job_id, run_id
        self.signal = signal or load_taxonomy().signal()
        self.rows: list[dict[str, Any]] = []
        self.group, self.number, self.partial = "", 0, ""
        self.decoder = codecs.getincrementaldecoder("utf-8")("replace")

    def feed_bytes(self, data: bytes) -> None:
        self.feed(self.decoder.decode(data))

    def feed(self, text: str) -> None:
        *complete, rest = (self.partial + text.replace("\ufeff", "")).split("\n")
        for raw in complete:
            self._line(raw)
        self.partial = rest[: self.LONGEST]

    def close(self) -> list[dict[str, Any]]:
        """The kept rows, once the last (possibly empty) line is judged."""
        self.feed(self.decoder.decode(b"", final=True))
        self._line(self.partial)
        self.partial = ""
        return self.rows

    def _line(self, raw: str) -> None:
        self.number += 1
        line = clean_line(raw[: self.LONGEST])
        if line.startswith("##[group]Run "):
            self.group = line[len("##[group]Run ") :][:200]
            return
        if _GENERIC.search(line) or self.signal.search(line):
            self.rows.append(
                {"job_id": self.job_id, "run_id": self.run_id, "line_no": self.number, "group": self.group,
                 "text": line[:2000]}
            )  # fmt: skip
