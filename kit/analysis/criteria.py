"""Judge the success criteria on the after-window, each with figures and the runs behind it.

Every verdict is PASS, FAIL or NOT ENOUGH DATA; too few observations is never a PASS. The
before-window figures are given beside the after-window ones so a reader sees the change.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from kit.analysis.classify import classify
from kit.analysis.cutover import Cutover, Window, find_cutover, windows
from kit.analysis.parameters import ReportParameters
from kit.analysis.stats import fisher_p, wilson
from kit.history.cache import History
from kit.taxonomy import NOT_FAILURES, UNKNOWN, load_taxonomy
from kit.vocabulary import PR_EVENTS

PASS, FAIL, NED = "PASS", "FAIL", "NOT ENOUGH DATA"


EVIDENCE_LINKS = 5  # run links shown per verdict


@dataclass
class Verdict:
    id: str
    title: str
    status: str
    figures: str
    evidence: list[tuple[str, str]] = field(default_factory=list)

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

    def verdict_table(self) -> pd.DataFrame:
        return pd.DataFrame([v.row() for v in self.verdicts])

    @property
    def any_fail(self) -> bool:
        return any(v.status == FAIL for v in self.verdicts)


def analyse(history: History, params: ReportParameters | None = None) -> Analysis:
    params = params or ReportParameters()
    found = find_cutover(history, params.cutover)
    window = windows(history, found)
    failures = classify(history)
    failures["window"] = failures["run_id"].map(window).fillna(Window.EXCLUDED.value)
    attempts = _codex_attempts(history, window)
    verdicts = [
        _server_info(failures, attempts, params),
        _non_blocking(history, window, attempts, params),
        _fork_guard(history, window),
        _db_active_count(history, window, failures, params),
        _actionable(failures, params),
    ]
    return Analysis(found, window, failures, attempts, verdicts, rate_table(failures, attempts))


def _codex_attempts(history: History, window: pd.Series) -> pd.DataFrame:
    jobs = history.jobs
    ran = jobs[jobs["has_codex"] & (jobs["conclusion"] != "skipped")].copy()
    ran["window"] = ran["run_id"].map(window).fillna(Window.EXCLUDED.value)
    return ran


def _links(frame: pd.DataFrame, limit: int, column: str = "run_url") -> list[tuple[str, str]]:
    urls = frame.drop_duplicates(column)[column].head(limit)
    return [(url.rsplit("/", 1)[-1], url) for url in urls if url]


def _count(frame: pd.DataFrame, window: str) -> int:
    return int((frame["window"] == window).sum())


def _zero_after(id_: str, title: str, hits: pd.DataFrame, n_after: int, figures: str, t: ReportParameters,
                pass_evidence: list[tuple[str, str]] | None = None) -> Verdict:  # fmt: skip
    """The shape of a "none of these after the cutover" criterion."""
    if n_after < t.min_runs:
        return Verdict(id_, title, NED, f"{figures} (fewer than {t.min_runs} after the cutover)")
    after = hits[hits["window"] == Window.AFTER]
    if len(after):
        return Verdict(id_, title, FAIL, figures, _links(after, EVIDENCE_LINKS))
    return Verdict(id_, title, PASS, figures, pass_evidence or [])


def _server_info(failures: pd.DataFrame, attempts: pd.DataFrame, t: ReportParameters) -> Verdict:
    bad = failures[(failures["kind"] == "codex") & failures["server_info"]]
    n_after, n_before = _count(attempts, Window.AFTER), _count(attempts, Window.BEFORE)
    after, before = _count(bad, Window.AFTER), _count(bad, Window.BEFORE)
    figures = f"after: {after} in {n_after} Codex job attempts; before: {before} in {n_before}"
    sample = attempts[attempts["window"] == Window.AFTER].assign(run_url=lambda f: f["html_url"])
    return _zero_after("server-info", "No Codex step fails with a server-info error", bad, n_after, figures, t,
                       _links(sample, 2))  # fmt: skip


def _non_blocking(history: History, window: pd.Series, attempts: pd.DataFrame, t: ReportParameters) -> Verdict:
    title = "Advisory Codex jobs block nothing"
    jobs = history.jobs
    runs = history.runs.set_index("run_id")
    failed_codex = jobs[jobs["has_codex"] & jobs["conclusion"].isin(("failure", "timed_out"))]
    blocked = runs.loc[runs.index.isin(failed_codex["run_id"]) & (runs["conclusion"] == "failure")]
    blocked = blocked.assign(window=blocked.index.map(window))
    after, before = blocked[blocked["window"] == Window.AFTER], blocked[blocked["window"] == Window.BEFORE]
    n_after_runs = int(attempts.loc[attempts["window"] == Window.AFTER, "run_id"].nunique())
    figures = f"runs failed by a Codex job: after {len(after)} of {n_after_runs}; before {len(before)}"
    if n_after_runs < t.min_runs:
        return Verdict("non-blocking", title, NED, f"{figures} (fewer than {t.min_runs} runs after the cutover)")
    if len(after):
        return Verdict("non-blocking", title, FAIL, figures, _links(after.reset_index(), EVIDENCE_LINKS, "html_url"))
    return Verdict("non-blocking", title, PASS, figures)


def _fork_guard(history: History, window: pd.Series) -> Verdict:
    title = "Codex jobs skip fork PRs and still run on same-repo PRs"
    runs = history.runs.set_index("run_id")
    jobs = history.jobs[history.jobs["has_codex"] | (history.jobs["conclusion"] == "skipped")]
    codex_jobs = jobs[jobs["name"].isin(history.jobs.loc[history.jobs["has_codex"], "name"].unique())]
    codex_jobs = codex_jobs.assign(window=codex_jobs["run_id"].map(window),
                                   fork=codex_jobs["run_id"].map(runs["is_fork_pr"]),
                                   event=codex_jobs["run_id"].map(runs["event"]))  # fmt: skip
    after = codex_jobs[codex_jobs["window"] == Window.AFTER]
    prs = after[after["event"].isin(PR_EVENTS)]
    fork, same = prs[prs["fork"] == True], prs[prs["fork"] == False]  # noqa: E712 - pandas comparison
    fork_ran = fork[fork["conclusion"] != "skipped"]
    same_ran = same[same["conclusion"] != "skipped"]
    figures = (
        f"fork PR Codex jobs after the cutover: {len(fork)} ({len(fork_ran)} ran); "
        f"same-repo PR Codex jobs: {len(same)} ({len(same_ran)} ran)"
    )
    if fork.empty or same.empty:
        return Verdict("fork-guard", title, NED, figures + " (needs both kinds of PR after the cutover)")
    if len(fork_ran) or same_ran.empty:
        evidence = fork_ran if len(fork_ran) else same
        return Verdict("fork-guard", title, FAIL, figures, _links(evidence.assign(run_url=evidence["html_url"]), 5))
    return Verdict("fork-guard", title, PASS, figures)


def _db_active_count(history: History, window: pd.Series, failures: pd.DataFrame, t: ReportParameters) -> Verdict:
    db = history.jobs[history.jobs["has_db_test"]]
    n_after = int((db["run_id"].map(window) == Window.AFTER).sum())
    hits = failures[(failures["kind"] == "db") & (failures["category"] == "db-active-count")]
    after, before = _count(hits, Window.AFTER), _count(hits, Window.BEFORE)
    figures = f"ACTIVE-count failures: after {after} in {n_after} DB test jobs; before {before}"
    return _zero_after(
        "db-active-count", "DB tests do not fail on the ACTIVE-count assertion", hits, n_after, figures, t
    )


def _actionable(failures: pd.DataFrame, t: ReportParameters) -> Verdict:
    title = "Codex failures are named and explained"
    after = failures[(failures["kind"] == "codex") & (failures["window"] == Window.AFTER)]
    unknown = after[after["category"] == UNKNOWN]
    explained = after[after["kit_message"].astype(bool)]
    share = len(unknown) / len(after) if len(after) else 0.0
    message_share = len(explained) / len(after) if len(after) else 0.0
    figures = (
        f"{len(after)} Codex failures after the cutover: {len(unknown)} unknown ({share:.0%}, limit "
        f"{t.unknown_share:.0%}); {message_share:.0%} carry a preflight or contract message"
    )
    if len(after) < t.min_failures:
        return Verdict("actionable", title, NED, f"{figures} (fewer than {t.min_failures} failures to judge)")
    if share > t.unknown_share:
        return Verdict("actionable", title, FAIL, figures, _links(unknown, EVIDENCE_LINKS))
    return Verdict("actionable", title, PASS, figures)


def rate_table(failures: pd.DataFrame, attempts: pd.DataFrame) -> pd.DataFrame:
    """Per category: failures per Codex job attempt before and after, Wilson intervals, Fisher p."""
    codex = failures[(failures["kind"] == "codex") & ~failures["category"].isin(NOT_FAILURES)]
    totals = {w.value: _count(attempts, w) for w in (Window.BEFORE, Window.AFTER)}
    rows = []
    for category in load_taxonomy().categories():
        counts = {w: int(((codex["category"] == category) & (codex["window"] == w)).sum()) for w in totals}
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
