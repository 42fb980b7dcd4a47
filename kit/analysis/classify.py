"""Classify every Codex failure (and every DB-test failure) of a history into a taxonomy category.

Which job attempts are failures comes from the jobs table, without logs: a Codex step or its job
failed, timed out or was cancelled, or the kit's output contract ran. Why comes from the job's
kept log lines: the first rule (in taxonomy order) that matches any line wins and its last
matching line is the evidence. A failure no rule names is `unrecognised`, with the most
informative kept line as evidence. One whose log GitHub no longer has is `log-gone`, one whose log is
not fetched yet `no-log`: both are still counted, with what the jobs API says (the step that failed)
as evidence. No failure row
ever has an empty category or evidence. A contract that ran only to say "output ok" (JSON outputs
are always checked) is not a failure. A Codex job skipped on a fork PR is counted apart, never as
a failure.

`classify_log` applies the same rules to one saved job log, cleaned and filtered exactly as the
fetch does, so a rule can be checked on a real log before a report relies on it.
"""

from __future__ import annotations

import re
from collections import namedtuple
from dataclasses import dataclass
from typing import NamedTuple

import pandas as pd

from kit.history.cache import History
from kit.history.schema import LogStatus
from kit.history.tables import clean_line, excerpt_rows
from kit.taxonomy import LOG_GONE, NO_LOG, UNRECOGNISED, Rule, Taxonomy, load_taxonomy
from kit.vocabulary import CONTRACT_STEP_NAME, parse_kit_message, preflight_passed

BAD = ("failure", "cancelled", "timed_out")
COLUMNS = [
    "job_id", "run_id", "run_attempt", "kind", "category", "rule", "server_info", "line_no", "line", "job_name",
    "job_conclusion", "codex_conclusion", "hardened", "job_url", "run_url", "created_at", "event", "is_fork_pr",
    "run_conclusion", "head_branch", "latest_attempt", "fixed_by_rerun", "log_status", "kit_message",
]  # fmt: skip


@dataclass(frozen=True)
class Match:
    rule: Rule | None
    line_no: int
    line: str


class LogVerdict(NamedTuple):
    """What the classifier says about one job log: the category, the rule that named it, the evidence."""

    category: str
    rule: str
    line_no: int
    line: str


# Evidence for a failure no rule names, most informative first (the runner's "Process completed with
# exit code N" annotation says only that a step failed, so any other ##[error] line is preferred to it).
_BOILERPLATE = re.compile(r"^##\[error\]Process completed with exit code \d+\.?$")
_FALLBACKS = (
    re.compile(r"##\[error\]"),
    re.compile(r"\b(?:Error|ERROR)\b:"),
    re.compile(r"\bexited with (?:code|status) -?\d+|exit code -?\d+"),
)
NO_LINE_KEPT = "no line of the log matched a rule or an error pattern"
NO_LOG_EVIDENCE = {
    LogStatus.GONE: "GitHub no longer has the log",
    LogStatus.PENDING: "the log has not been fetched yet",
}


def match_lines(lines: list[tuple[int, str]], rules: tuple[Rule, ...], preflight_passed: bool = False) -> Match:
    """The highest-priority rule that matches, with its last matching line (or no rule).

    A preflight that passed proves the key was there and accepted, so rules that blame the key
    are passed over for that job: a category never contradicts a step that succeeded.
    """
    if not lines:
        return Match(None, 0, "")
    whole = "\n".join(text for _, text in lines)
    for rule in rules:
        if preflight_passed and rule.blames_key:
            continue
        if rule.requires is not None and not rule.requires.search(whole):
            continue
        if not rule.pattern.search(whole):
            continue
        for line_no, text in reversed(lines):
            if rule.pattern.search(text):
                return Match(rule, line_no, text)
    return Match(None, 0, "")


def name_lines(lines: list[tuple[int, str]], rules: tuple[Rule, ...]) -> Match:
    """The rule that names these kept lines, as the report and `codex-kit classify` both decide it:
    a kit preflight that printed "OpenAI accepted the key" rules out the rules that blame the key."""
    return match_lines(lines, rules, any(preflight_passed(text) for _, text in lines))


def fallback_evidence(lines: list[tuple[int, str]]) -> tuple[int, str]:
    """The most informative line when no rule matched: the last ##[error] line (the runner's bare
    "Process completed with exit code" only when nothing else qualifies), else the last Error:/ERROR:
    line, else the last exit-code line, else the last line; (0, "") only when there is no line."""
    for pattern in _FALLBACKS:
        for line_no, text in reversed(lines):
            if pattern.search(text) and not _BOILERPLATE.match(text.strip()):
                return line_no, text
    for line_no, text in reversed(lines):
        if _BOILERPLATE.match(text.strip()):
            return line_no, text
    for line_no, text in reversed(lines):
        if text.strip():
            return line_no, text
    return 0, ""


def classify_log(text: str, taxonomy: Taxonomy | None = None, scope: str = "codex") -> LogVerdict:
    """Category, rule id, line number and evidence line for one saved job log (as downloaded).

    The log is cleaned (timestamps, ANSI codes) and filtered exactly as the fetch does, with the
    given taxonomy's own signal, so a team's extra rules see their lines. A kit preflight that passed
    rules out the rules that blame the key, as in the report.
    """
    taxonomy = taxonomy or load_taxonomy()
    rows = excerpt_rows(0, 0, text, signal=taxonomy.signal())
    lines = [(row["line_no"], row["text"]) for row in rows]
    match = name_lines(lines, taxonomy.for_scope(scope))
    if match.rule is not None:
        return LogVerdict(match.rule.category, match.rule.id, match.line_no, match.line)
    if not text.strip():
        return LogVerdict(NO_LOG, NO_LOG, 0, "the log is empty")
    line_no, line = fallback_evidence(lines)
    if not line_no:
        numbered = list(enumerate(text.replace("\ufeff", "").split("\n"), start=1))
        line_no, line = fallback_evidence([(n, clean_line(raw)[:2000]) for n, raw in numbered])
    return LogVerdict(UNRECOGNISED, "", line_no, line)


def candidate_jobs(history: History) -> pd.DataFrame:
    """Job attempts that need a verdict: Codex jobs in trouble, failed DB-test jobs, fork skips."""
    jobs = history.jobs
    codex_names = set(jobs.loc[jobs["has_codex"], "name"])
    codex = jobs["has_codex"] | (jobs["name"].isin(codex_names) & (jobs["conclusion"] == "skipped"))
    troubled = (
        jobs["codex_conclusion"].isin(BAD)
        | jobs["conclusion"].isin(("failure", "timed_out"))
        | (jobs["contract_conclusion"] == "success")
    )
    runs = history.runs.set_index("run_id")
    fork = jobs["run_id"].map(runs["is_fork_pr"]).fillna(False).astype(bool)
    skipped_on_fork = codex & (jobs["conclusion"] == "skipped") & fork
    db_failed = jobs["has_db_test"] & jobs["conclusion"].isin(("failure", "timed_out"))
    picked = jobs[(codex & troubled) | skipped_on_fork | db_failed].copy()
    picked["kind"] = "codex"
    picked.loc[picked["has_db_test"], "kind"] = "db"
    picked.loc[skipped_on_fork[picked.index], "kind"] = "fork-skip"
    return picked


def classify(history: History, taxonomy: Taxonomy | None = None) -> pd.DataFrame:
    """One row per failing (or fork-skipped) job attempt, with its category and evidence."""
    taxonomy = taxonomy or load_taxonomy()
    picked = candidate_jobs(history)
    if picked.empty:
        return pd.DataFrame(columns=COLUMNS).astype({"created_at": "datetime64[us, UTC]", "line_no": "int64"})
    lines = history.log_lines[history.log_lines["job_id"].isin(picked["job_id"])].sort_values(["job_id", "line_no"])
    by_job: dict[int, list[tuple[int, str]]] = {}
    for job_id, line_no, text in zip(lines["job_id"].tolist(), lines["line_no"].tolist(), lines["text"].tolist(),
                                     strict=True):  # fmt: skip
        by_job.setdefault(job_id, []).append((line_no, text))
    runs = history.runs.set_index("run_id")
    latest = history.jobs.groupby("run_id")["run_attempt"].max()
    run_columns = {"run_url": "html_url", "created_at": "created_at", "event": "event", "is_fork_pr": "is_fork_pr",
                   "run_conclusion": "conclusion", "head_branch": "head_branch"}  # fmt: skip
    for target, source in run_columns.items():
        picked[target] = picked["run_id"].map(runs[source])
    picked["latest_attempt"] = picked["run_attempt"] == picked["run_id"].map(latest)
    jobs = history.jobs
    good = jobs[(jobs["conclusion"] == "success") & jobs["run_id"].isin(picked["run_id"])]
    best = good.groupby(["run_id", "name"], as_index=False)["run_attempt"].max().rename(columns={"run_attempt": "best"})
    best = picked[["run_id", "name"]].merge(best, on=["run_id", "name"], how="left")["best"]  # in picked's order
    picked["fixed_by_rerun"] = best.fillna(0).to_numpy() > picked["run_attempt"].to_numpy()
    rules_by_scope = {scope: taxonomy.for_scope(scope) for scope in ("codex", "db")}
    failed_steps = _failed_steps(history.steps, set(picked["job_id"]))
    rows = []
    named: dict[tuple, tuple[Match, bool]] = {}  # the same kept lines say the same: failures repeat their logs
    for job in _records(picked):
        row = _verdict(job, by_job.get(job.job_id, []), rules_by_scope, failed_steps.get(job.job_id, ""), named)
        if row is None:
            continue
        row.update(
            job_url=job.html_url, run_url=job.run_url or "", created_at=job.created_at, event=job.event or "",
            is_fork_pr=bool(job.is_fork_pr), run_conclusion=job.run_conclusion or "",
            head_branch=job.head_branch or "", latest_attempt=bool(job.latest_attempt),
            fixed_by_rerun=bool(job.fixed_by_rerun),
        )  # fmt: skip
        rows.append(row)
    return pd.DataFrame(rows, columns=COLUMNS)


def _records(frame: pd.DataFrame):
    """The frame's rows as named tuples, read a column at a time: itertuples reads pyarrow-backed
    columns an element at a time (a third of a second for 5,000 failures of 17 columns)."""
    record = namedtuple("Record", [str(name) for name in frame.columns])
    return map(record._make, zip(*(frame[name].tolist() for name in frame.columns), strict=True))


def _failed_steps(steps: pd.DataFrame, job_ids: set[int]) -> dict[int, str]:
    """job id -> what the jobs API says went wrong, for evidence without a log: the first step that
    failed ("step 4 `Run Codex`: failure"), else the kit's output contract that ran (after the
    hardening a Codex failure is a success in the jobs API, and the contract runs only to report)."""
    mine = steps[steps["job_id"].isin(job_ids)].sort_values(["job_id", "number"])
    bad = mine[mine["conclusion"].isin(BAD)].drop_duplicates("job_id")
    ran = mine[(mine["kit_step"] == CONTRACT_STEP_NAME) & (mine["conclusion"] == "success")].drop_duplicates("job_id")
    said = {}
    for frame, verb in ((ran, "ran"), (bad, "")):  # a failed step, where there is one, is the better account
        for job_id, number, name, conclusion in zip(
            frame["job_id"].tolist(),
            frame["number"].tolist(),
            frame["name"].tolist(),
            frame["conclusion"].tolist(),
            strict=True,
        ):
            said[job_id] = f"step {number} `{name}`: {verb or conclusion}"
    return said


def _without_log(job, failed_step: str) -> tuple[str, str]:
    """Category and evidence of a failure whose log is not in the cache: the jobs API's account of it."""
    category = LOG_GONE if job.log_status == LogStatus.GONE else NO_LOG
    why = NO_LOG_EVIDENCE.get(job.log_status, "the log could not be read")
    said = f"the jobs API says {failed_step}" if failed_step else "the jobs API names no failed step"
    return category, f"{why}; {said} (job {job.conclusion or job.status or 'unfinished'})"


def _verdict(
    job,
    lines: list[tuple[int, str]],
    rules_by_scope: dict[str, tuple[Rule, ...]],
    failed_step: str,
    named: dict[tuple, tuple[Match, bool]],
) -> dict | None:
    """One failure's row; `named` holds what earlier jobs' identical kept lines said (rule, kit message)."""
    base = {
        "job_id": job.job_id, "run_id": job.run_id, "run_attempt": job.run_attempt, "kind": job.kind,
        "job_name": job.name, "job_conclusion": job.conclusion, "codex_conclusion": job.codex_conclusion,
        "hardened": job.hardened, "log_status": job.log_status,
    }  # fmt: skip
    if job.kind == "fork-skip":
        said = any(parse_kit_message(text) for _, text in lines)
        return {**base, "kit_message": said, "category": "skipped-on-fork", "rule": "", "server_info": False,
                "line_no": 0, "line": "skipped: fork pull requests get no secrets"}  # fmt: skip
    scope = "db" if job.kind == "db" else "codex"
    key = (scope, tuple(lines))
    said = named.get(key)
    if said is None:
        said = named[key] = name_lines(lines, rules_by_scope[scope]), any(parse_kit_message(t) for _, t in lines)
    match, base["kit_message"] = said
    codex_failed = job.codex_conclusion in BAD or job.conclusion in ("failure", "timed_out")
    unread = job.log_status != LogStatus.FETCHED and not lines
    if match.rule is None and not codex_failed and job.kind == "codex" and not unread:
        return None  # the contract ran and found the output fine (without its log, nobody can say so)
    rule = match.rule
    if rule is not None:
        category, rule_id, line_no, line = rule.category, rule.id, match.line_no, match.line
    elif unread:
        category, line = _without_log(job, failed_step)
        rule_id, line_no = category, 0
    else:
        category, rule_id = UNRECOGNISED, ""
        line_no, line = fallback_evidence(lines)
        line = line or NO_LINE_KEPT
    return {
        **base,
        "category": category,
        "rule": rule_id,
        "server_info": bool(rule and rule.server_info),
        "line_no": line_no,
        "line": line,
    }
