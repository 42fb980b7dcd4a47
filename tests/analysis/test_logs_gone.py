"""Failures whose logs GitHub has deleted stay counted, and never let a criterion that needs their cause pass."""

from __future__ import annotations

from kit.analysis.completeness import check
from kit.analysis.criteria import FAIL, NED, PASS, analyse
from kit.analysis.cutover import Window
from kit.analysis.parameters import ReportParameters
from kit.history.cache import History
from kit.history.schema import LogStatus
from kit.sample import REPO, Scenario, generate
from kit.taxonomy import LOG_GONE, NO_LOG

NEEDS_THE_CAUSE = ("server-info", "db-active-count", "actionable")


def _lose_logs(history: History, job_ids: set[int], status: LogStatus = LogStatus.GONE) -> None:
    """What a fetch after GitHub's retention sees: the jobs API still lists the job, its log is 404."""
    history.jobs.loc[history.jobs["job_id"].isin(job_ids), "log_status"] = status
    history.log_lines = history.log_lines[~history.log_lines["job_id"].isin(job_ids)].reset_index(drop=True)


def _failures_after(history: History, kind: str) -> set[int]:
    failures = analyse(history).failures
    picked = failures[(failures["kind"] == kind) & (failures["window"] == Window.AFTER)]
    return set(picked["job_id"])


def test_every_failure_whose_log_is_gone_is_still_counted_with_the_jobs_api_evidence() -> None:
    history = generate(Scenario()).history()
    before = analyse(history)
    every = set(before.failures.loc[before.failures["category"] != "skipped-on-fork", "job_id"])
    _lose_logs(history, every)
    after = analyse(history)
    failures = after.failures[after.failures["category"] != "skipped-on-fork"]
    assert set(failures["job_id"]) == every, "no failure drops out when its log does"
    assert set(failures["category"]) == {LOG_GONE}
    assert failures["line"].str.startswith("GitHub no longer has the log; the jobs API says step ").all()
    codex_before = before.failures[before.failures["kind"] == "codex"]
    codex_after = failures[failures["kind"] == "codex"]
    assert len(codex_after) == len(codex_before[codex_before["category"] != "skipped-on-fork"])
    rates = after.rates.set_index("category")
    assert list(rates.index) == [LOG_GONE]
    judged = codex_after[codex_after["window"].isin((Window.BEFORE, Window.AFTER))]
    assert rates.loc[LOG_GONE, "after_failures"] + rates.loc[LOG_GONE, "before_failures"] == len(judged)


def test_too_many_causes_gone_is_not_enough_data_never_pass() -> None:
    history = generate(Scenario()).history()
    assert {v.id: v.status for v in analyse(history).verdicts}["actionable"] == PASS
    _lose_logs(history, _failures_after(history, "codex") | _failures_after(history, "db"))
    verdicts = {v.id: v for v in analyse(history).verdicts}
    for criterion in ("server-info", "actionable"):
        assert verdicts[criterion].status == NED, verdicts[criterion].figures
        assert "have no log to read the cause from" in verdicts[criterion].figures
        assert verdicts[criterion].counts["without_log_after"] > 0
    assert verdicts["non-blocking"].status == PASS, "a criterion that needs no cause is judged as before"
    warnings = check(history, REPO, ReportParameters()).warnings
    assert any(w.endswith("counted as log-gone, cause unknown. A scheduled fetch keeps logs before they expire")
               for w in warnings), warnings  # fmt: skip


def test_logs_not_fetched_yet_count_the_same_way() -> None:
    history = generate(Scenario()).history()
    pending = _failures_after(history, "codex")
    _lose_logs(history, pending, LogStatus.PENDING)
    analysis = analyse(history)
    rows = analysis.failures[analysis.failures["job_id"].isin(pending)]
    assert set(rows["category"]) == {NO_LOG} and rows["line"].str.startswith("the log has not been fetched yet").all()
    assert {v.id: v.status for v in analysis.verdicts}["actionable"] == NED


def test_a_few_causes_gone_within_the_limit_leave_the_verdicts_to_the_rest() -> None:
    history = generate(Scenario()).history()
    after = sorted(_failures_after(history, "codex"))
    allowed = ReportParameters().unknown_share
    few = set(after[: int(len(after) * allowed)])
    assert few, "the sample has enough failures after the cutover for one to lose its log"
    _lose_logs(history, few)
    verdicts = {v.id: v for v in analyse(history).verdicts}
    assert verdicts["actionable"].status == PASS and verdicts["actionable"].counts["without_log_after"] == len(few)
    assert f"({len(few)} more without a log)" in verdicts["actionable"].figures


def test_a_violation_seen_still_fails_however_many_logs_are_gone() -> None:
    history = generate(Scenario(after_server_info_failures=3)).history()
    analysis = analyse(history)
    seen = analysis.failures[analysis.failures["server_info"] & (analysis.failures["window"] == Window.AFTER)]
    others = _failures_after(history, "codex") - set(seen["job_id"])
    _lose_logs(history, others)
    verdicts = {v.id: v for v in analyse(history).verdicts}
    assert verdicts["server-info"].status == FAIL
    assert all(verdicts[c].status != PASS for c in NEEDS_THE_CAUSE if c != "db-active-count")


def test_an_empty_steps_table_still_gives_evidence() -> None:
    history = generate(Scenario()).history()
    history.steps = history.steps.iloc[0:0]
    jobs = _failures_after(history, "codex")
    _lose_logs(history, jobs)
    rows = analyse(history).failures.set_index("job_id").loc[sorted(jobs)]
    assert rows["line"].str.startswith("GitHub no longer has the log; the jobs API names no failed step (job ").all()
