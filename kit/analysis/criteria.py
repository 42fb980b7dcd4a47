"""Judge the success criteria on the after-window, each with figures and the runs behind it.

One rule decides every verdict (README, "How verdicts are decided"):

1. FAIL when a violation is seen after the cutover, whatever the sample size: a criterion that
   demands none (server-info errors, blocked runs, fork PRs that ran Codex, ACTIVE-count
   failures) fails on the first; "named and explained" fails when the unknown share is over its
   limit or the share carrying the kit's message is under its floor.
2. Otherwise NOT ENOUGH DATA when the criterion's observations after the cutover are fewer than
   `min_runs` (or a kind it needs, such as both fork and same-repo PRs, is absent), or when it needs
   the failures' causes and more than `unknown_share` of them have no log to read them from (expired
   on GitHub or not fetched yet): a cause nobody can see may be the violation.
3. Otherwise PASS.

The before-window figures stand beside the after-window ones so a reader sees the change, and
each verdict carries its counts as numbers for `report.json`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import pandas as pd

from kit.analysis.classify import classify
from kit.analysis.cutover import Cutover, Window, find_cutover, windows
from kit.analysis.parameters import ReportParameters
from kit.analysis.stats import fisher_p, wilson
from kit.history.cache import History
from kit.history.locations import is_web_link, web_root
from kit.taxonomy import NOT_FAILURES, REASON_MISSING, UNNAMED, Taxonomy, load_taxonomy
from kit.vocabulary import PR_EVENTS


class Status(StrEnum):
    PASS = "PASS"
    FAIL = "FAIL"
    NED = "NOT ENOUGH DATA"


PASS, FAIL, NED = Status.PASS, Status.FAIL, Status.NED
EVIDENCE_LINKS = 5  # run links shown per verdict


@dataclass
class Verdict:
    id: str
    title: str
    status: Status
    figures: str
    evidence: list[tuple[str, str]] = field(default_factory=list)
    counts: dict[str, Any] = field(default_factory=dict)

    def row(self) -> dict:
        return {"criterion": self.title, "verdict": self.status, "figures": self.figures,
                "evidence": " ".join(url for _, url in self.evidence)}  # fmt: skip


@dataclass
class Analysis:
    """Everything the report shows, computed once from the history tables."""

    cutover: Cutover
    window: pd.Series
    failures: pd.DataFrame
    attempts: pd.DataFrame
    verdicts: list[Verdict]
    rates: pd.DataFrame
    taxonomy: Taxonomy
    web_root: str  # links are shown only to pages under it (`kit.history.locations.web_root`)

    def verdict_table(self) -> pd.DataFrame:
        return pd.DataFrame([v.row() for v in self.verdicts])

    @property
    def any_fail(self) -> bool:
        return any(v.status == FAIL for v in self.verdicts)


@dataclass
class Observed:
    """What one criterion saw after the cutover: its violations, its observations, its figures."""

    violations: pd.DataFrame  # rows with a `link` column: the runs that prove a FAIL
    observations: int
    figures: str
    counts: dict[str, Any]
    missing_kind: str = ""  # a kind of observation the criterion needs and did not get
    pass_links: pd.DataFrame | None = None
    doubt: str = ""  # why the observations cannot vouch for a PASS (too many causes without a log)


def judge(id_: str, title: str, seen: Observed, params: ReportParameters) -> Verdict:
    """The one rule (module docstring): a violation is FAIL; too few observations is NOT ENOUGH DATA."""
    counts = {**seen.counts, "observations_after": seen.observations, "violations_after": len(seen.violations)}
    root = web_root(params.api_url)
    if len(seen.violations):
        return Verdict(id_, title, FAIL, seen.figures, _links(seen.violations, EVIDENCE_LINKS, root), counts)
    if seen.missing_kind:
        return Verdict(id_, title, NED, f"{seen.figures} (needs {seen.missing_kind} after the cutover)", [], counts)
    if seen.doubt:
        return Verdict(id_, title, NED, f"{seen.figures} ({seen.doubt})", [], counts)
    if seen.observations < params.min_runs:
        why = f"{seen.observations} observations after the cutover, fewer than {params.min_runs}"
        return Verdict(id_, title, NED, f"{seen.figures} ({why})", [], counts)
    links = _links(seen.pass_links, 2, root) if seen.pass_links is not None else []
    return Verdict(id_, title, PASS, seen.figures, links, counts)


def analyse(history: History, params: ReportParameters | None = None) -> Analysis:
    params = params or ReportParameters()
    taxonomy = load_taxonomy(Path(params.taxonomy) if params.taxonomy else None)
    found = find_cutover(history, params.cutover)
    window = windows(history, found)
    failures = classify(history, taxonomy)
    failures["window"] = failures["run_id"].map(window).fillna(Window.EXCLUDED.value)
    attempts = _codex_attempts(history, window)
    criteria = [
        ("server-info", "No Codex step fails with a server-info error", _server_info(failures, attempts, params)),
        ("non-blocking", "Advisory Codex jobs block nothing", _non_blocking(history, window, attempts)),
        ("fork-guard", "Codex jobs skip fork PRs and still run on same-repo PRs", _fork_guard(history, window)),
        ("db-active-count", "DB tests do not fail on the ACTIVE-count assertion",
         _db_active_count(history, window, failures, params)),
        ("actionable", "Codex failures are named and explained", _actionable(failures, attempts, params)),
    ]  # fmt: skip
    verdicts = [judge(id_, title, seen, params) for id_, title, seen in criteria]
    rates = rate_table(failures, attempts, taxonomy)
    return Analysis(found, window, failures, attempts, verdicts, rates, taxonomy, web_root(params.api_url))


def _codex_attempts(history: History, window: pd.Series) -> pd.DataFrame:
    jobs = history.jobs
    ran = jobs[jobs["has_codex"] & (jobs["conclusion"] != "skipped")].copy()
    ran["window"] = ran["run_id"].map(window).fillna(Window.EXCLUDED.value)
    return ran


def _links(frame: pd.DataFrame, limit: int, root: str) -> list[tuple[str, str]]:
    """Up to `limit` evidence links, only to GitHub's own pages: a cache's URL columns are not trusted."""
    urls = [url for url in frame.drop_duplicates("link")["link"] if is_web_link(url, root)][:limit]
    return [(url.rsplit("/", 1)[-1], url) for url in urls]


def _count(frame: pd.DataFrame, window: str) -> int:
    return int((frame["window"] == window).sum())


def _after(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[frame["window"] == Window.AFTER]


def _without_cause(failures_after: pd.DataFrame, params: ReportParameters) -> tuple[int, str]:
    """How many of these failures have no log to name their cause, and the doubt that casts when they
    are more than `unknown_share` of them ("" when the rest can speak for all)."""
    missing = int(failures_after["category"].isin(REASON_MISSING).sum())
    total = len(failures_after)
    if not total or missing / total <= params.unknown_share:
        return missing, ""
    return missing, (
        f"{missing} of {total} failures after the cutover have no log to read the cause from, more than "
        f"{params.unknown_share:.0%}; fetch sooner, before GitHub deletes logs"
    )


def _server_info(failures: pd.DataFrame, attempts: pd.DataFrame, params: ReportParameters) -> Observed:
    bad = failures[(failures["kind"] == "codex") & failures["server_info"]]
    n_after, n_before = _count(attempts, Window.AFTER), _count(attempts, Window.BEFORE)
    after, before = _count(bad, Window.AFTER), _count(bad, Window.BEFORE)
    keyless = int((_after(bad)["category"] == "missing-api-key").sum())
    note = f" ({keyless} of them a missing key)" if keyless else ""
    missing, doubt = _without_cause(_after(failures[failures["kind"] == "codex"]), params)
    unread = f"; {missing} failures without a log" if missing else ""
    figures = f"after: {after}{note} in {n_after} Codex job attempts{unread}; before: {before} in {n_before}"
    counts = {"failures_after": after, "attempts_after": n_after, "failures_before": before,
              "attempts_before": n_before, "without_log_after": missing}  # fmt: skip
    return Observed(_after(bad).assign(link=lambda f: f["run_url"]), n_after, figures, counts,
                    pass_links=_after(attempts).assign(link=lambda f: f["html_url"]), doubt=doubt)  # fmt: skip


def _non_blocking(history: History, window: pd.Series, attempts: pd.DataFrame) -> Observed:
    jobs = history.jobs
    runs = history.runs.set_index("run_id")
    failed_codex = jobs[jobs["has_codex"] & jobs["conclusion"].isin(("failure", "timed_out"))]
    blocked = runs.loc[runs.index.isin(failed_codex["run_id"]) & (runs["conclusion"] == "failure")]
    blocked = blocked.assign(window=blocked.index.map(window), link=blocked["html_url"])
    after, before = _count(blocked, Window.AFTER), _count(blocked, Window.BEFORE)
    n_after = int(_after(attempts)["run_id"].nunique())
    n_before = int(attempts.loc[attempts["window"] == Window.BEFORE, "run_id"].nunique())
    figures = f"runs failed by a Codex job: after {after} of {n_after}; before {before} of {n_before}"
    counts = {"blocked_after": after, "runs_after": n_after, "blocked_before": before, "runs_before": n_before}
    return Observed(_after(blocked), n_after, figures, counts)


def _fork_guard(history: History, window: pd.Series) -> Observed:
    runs = history.runs.set_index("run_id")
    jobs = history.jobs[history.jobs["has_codex"] | (history.jobs["conclusion"] == "skipped")]
    codex_jobs = jobs[jobs["name"].isin(history.jobs.loc[history.jobs["has_codex"], "name"].unique())]
    codex_jobs = codex_jobs.assign(window=codex_jobs["run_id"].map(window),
                                   fork=codex_jobs["run_id"].map(runs["is_fork_pr"]).astype("boolean"),
                                   event=codex_jobs["run_id"].map(runs["event"]),
                                   link=codex_jobs["html_url"])  # fmt: skip
    prs = _after(codex_jobs)
    prs = prs[prs["event"].isin(PR_EVENTS)]
    fork, same = prs[prs["fork"].fillna(False)], prs[~prs["fork"].fillna(True)]
    fork_ran = fork[fork["conclusion"] != "skipped"]
    same_ran = same[same["conclusion"] != "skipped"]
    figures = (
        f"fork PR Codex jobs after the cutover: {len(fork)} ({len(fork_ran)} ran); "
        f"same-repo PR Codex jobs: {len(same)} ({len(same_ran)} ran)"
    )
    violations = fork_ran if len(fork_ran) else (same if len(same) and same_ran.empty else same.iloc[0:0])
    missing = " and ".join(kind for kind, frame in (("fork PRs", fork), ("same-repo PRs", same)) if frame.empty)
    counts = {"fork_jobs_after": len(fork), "fork_jobs_ran_after": len(fork_ran), "same_repo_jobs_after": len(same),
              "same_repo_jobs_ran_after": len(same_ran)}  # fmt: skip
    return Observed(violations, len(prs), figures, counts, missing_kind=missing)


def _db_active_count(history: History, window: pd.Series, failures: pd.DataFrame, params: ReportParameters) -> Observed:
    db = history.jobs[history.jobs["has_db_test"]]
    sides = db["run_id"].map(window)
    n_after, n_before = int((sides == Window.AFTER).sum()), int((sides == Window.BEFORE).sum())
    hits = failures[(failures["kind"] == "db") & (failures["category"] == "db-active-count")]
    after, before = _count(hits, Window.AFTER), _count(hits, Window.BEFORE)
    missing, doubt = _without_cause(_after(failures[failures["kind"] == "db"]), params)
    unread = f"; {missing} failures without a log" if missing else ""
    figures = f"ACTIVE-count failures: after {after} in {n_after} DB test jobs{unread}; before {before} in {n_before}"
    counts = {"failures_after": after, "jobs_after": n_after, "failures_before": before, "jobs_before": n_before,
              "without_log_after": missing}  # fmt: skip
    return Observed(_after(hits).assign(link=lambda f: f["run_url"]), n_after, figures, counts, doubt=doubt)


def _actionable(failures: pd.DataFrame, attempts: pd.DataFrame, params: ReportParameters) -> Observed:
    codex_after = _after(failures[failures["kind"] == "codex"])
    missing, doubt = _without_cause(codex_after, params)
    after = codex_after[~codex_after["category"].isin(REASON_MISSING)]  # the shares are of the failures one can read
    unknown = after[after["category"].isin(UNNAMED)]
    unexplained = after[~after["kit_message"].astype(bool)]
    share = len(unknown) / len(after) if len(after) else 0.0
    message_share = 1 - len(unexplained) / len(after) if len(after) else 1.0
    unread = f" ({missing} more without a log)" if missing else ""
    figures = (
        f"{len(after)} Codex failures after the cutover{unread}: {len(unknown)} unnamed ({share:.0%}, limit "
        f"{params.unknown_share:.0%}); {message_share:.0%} carry a preflight or contract message "
        f"(floor {params.message_share:.0%})"
    )
    if share > params.unknown_share:
        violations = unknown
    elif message_share < params.message_share:
        violations = unexplained
    else:
        violations = after.iloc[0:0]
    counts = {"failures_after": len(after), "unknown_after": len(unknown), "unexplained_after": len(unexplained),
              "unknown_share": share, "message_share": message_share, "without_log_after": missing}  # fmt: skip
    return Observed(violations.assign(link=lambda f: f["run_url"]), _count(attempts, Window.AFTER), figures, counts,
                    doubt=doubt)  # fmt: skip


def rate_table(failures: pd.DataFrame, attempts: pd.DataFrame, taxonomy: Taxonomy | None = None) -> pd.DataFrame:
    """Per category: failures per Codex job attempt before and after, Wilson intervals, Fisher p."""
    codex = failures[(failures["kind"] == "codex") & ~failures["category"].isin(NOT_FAILURES)]
    totals = {w.value: _count(attempts, w) for w in (Window.BEFORE, Window.AFTER)}
    counted = codex.groupby(["category", "window"]).size().to_dict()
    rows = []
    for category in (taxonomy or load_taxonomy()).categories():
        counts = {w: int(counted.get((category, w), 0)) for w in totals}
        if not any(counts.values()):
            continue
        row = {"category": category}
        for w, total in totals.items():
            low, high = wilson(counts[w], total)
            row[f"{w}_failures"] = counts[w]
            row[f"{w}_attempts"] = total
            row[f"{w}_rate"] = counts[w] / total if total else float("nan")
            row[f"{w}_low"], row[f"{w}_high"] = low, high
        before, after = Window.BEFORE.value, Window.AFTER.value
        row["fisher_p"] = fisher_p(counts[before], totals[before], counts[after], totals[after])
        rows.append(row)
    return pd.DataFrame(rows)
