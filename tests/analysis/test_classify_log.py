"""Never a blank: classify_log on saved job logs, and the evidence of failures no rule names."""

from __future__ import annotations

import pandas as pd
import pytest

from kit.analysis.classify import NO_LINE_KEPT, classify, classify_log, fallback_evidence, name_lines
from kit.analysis.criteria import analyse
from kit.history.schema import LogStatus
from kit.sample import Scenario, generate
from kit.taxonomy import LOG_GONE, NO_LOG, UNNAMED, UNRECOGNISED, load_taxonomy

RAW_LOG = (
    "\ufeff2026-06-01T10:00:00.1234567Z ##[group]Run openai/codex-action@v1\n"
    "2026-06-01T10:00:01.1234567Z \x1b[36;1mResolved Codex home: /home/runner/.codex\x1b[0m\r\n"
    "2026-06-01T10:00:05.1234567Z \x1b[31mERROR: Quota exceeded. Check your plan and billing details.\x1b[0m\r\n"
    "2026-06-01T10:00:05.2234567Z Error: codex exited with code 1\r\n"
    "2026-06-01T10:00:05.3234567Z ##[error]Process completed with exit code 1.\r\n"
)


def test_a_raw_job_log_is_cleaned_like_the_fetch_cleans_it() -> None:
    verdict = classify_log(RAW_LOG)
    assert (verdict.category, verdict.rule, verdict.line_no) == ("quota-exhausted", "quota", 3)
    assert verdict.line == "ERROR: Quota exceeded. Check your plan and billing details."


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        # the last ##[error] line that says more than "a step failed"
        (["##[error]The review bot gave up", "Error: later", "##[error]Process completed with exit code 1."], 1),
        # else the last Error:/ERROR: line
        (["Error: first", "ERROR: second", "##[error]Process completed with exit code 1."], 2),
        # else the Codex exit line
        (["warming up", "child exited with code 3", "##[error]Process completed with exit code 3."], 2),
        # the runner's boilerplate when nothing else qualifies, and the last line when nothing does at all
        (["warming up", "##[error]Process completed with exit code 1.", "Cleaning up orphan processes"], 2),
        (["warming up", "still warming up"], 2),
    ],
)
def test_fallback_evidence_is_the_most_informative_line(lines: list[str], expected: int) -> None:
    numbered = list(enumerate(lines, start=1))
    assert fallback_evidence(numbered) == numbered[expected - 1]


def test_an_unrecognised_log_names_its_evidence_and_an_empty_one_is_no_log() -> None:
    log = "2026-06-01T10:00:00Z Fetching the diff\n2026-06-01T10:00:01Z Error: the review bot crashed\n"
    verdict = classify_log(log)
    assert (verdict.category, verdict.rule, verdict.line_no, verdict.line) == (
        UNRECOGNISED, "", 2, "Error: the review bot crashed"
    )  # fmt: skip
    quiet = classify_log("2026-06-01T10:00:00Z Fetching the diff\n2026-06-01T10:00:01Z Done\n")
    assert (quiet.category, quiet.line_no, quiet.line) == (UNRECOGNISED, 2, "Done")
    assert classify_log("").category == NO_LOG and classify_log("").line


def test_a_preflight_that_passed_rules_out_the_key_rules() -> None:
    log = (
        "codex-kit: preflight ok step=codex-preflight - OpenAI accepted the key (HTTP 200).\n"
        "Error: Failed to read server info from /home/runner/.codex/1.json\n"
    )
    assert classify_log(log).category == "server-info-missing"
    assert classify_log(log.splitlines()[1]).category == "missing-api-key"


def test_failures_no_rule_names_and_failures_without_a_log_keep_their_evidence() -> None:
    history = generate(Scenario()).history()
    failed = classify(history)
    codex = failed[(failed["kind"] == "codex") & (failed["category"] != "skipped-on-fork")]
    unnamed_job, gone_job = codex["job_id"].iloc[0], codex["job_id"].iloc[1]
    lines = history.log_lines
    history.log_lines = pd.concat([
        lines[~lines["job_id"].isin([unnamed_job, gone_job])],
        pd.DataFrame([{**lines[lines["job_id"] == unnamed_job].iloc[0].to_dict(), "line_no": 7,
                       "text": "##[error]The review bot gave up"}]),
    ], ignore_index=True)  # fmt: skip
    history.jobs.loc[history.jobs["job_id"] == gone_job, "log_status"] = LogStatus.GONE
    failed_step = history.steps[(history.steps["job_id"] == gone_job) & (history.steps["conclusion"] == "failure")]
    rows = classify(history).set_index("job_id")
    assert rows.loc[unnamed_job, ["category", "line_no", "line"]].tolist() == [
        UNRECOGNISED, 7, "##[error]The review bot gave up"
    ]  # fmt: skip
    gone = rows.loc[gone_job, ["category", "rule", "line"]].tolist()
    step = failed_step.sort_values("number").iloc[0]
    said = f"the jobs API says step {step['number']} `{step['name']}`: failure (job failure)"
    assert gone == [LOG_GONE, LOG_GONE, f"GitHub no longer has the log; {said}"]
    failures = rows[rows["category"] != "skipped-on-fork"]
    assert (failures["line"].str.strip() != "").all() and (failures["category"].str.strip() != "").all()
    assert set(UNNAMED) <= set(rows["category"])
    assert analyse(history) is not None  # the criteria read the new values without error


def test_a_fetched_log_with_no_kept_line_still_has_evidence() -> None:
    history = generate(Scenario()).history()
    failed = classify(history)
    job = failed[(failed["kind"] == "codex") & (failed["category"] != "skipped-on-fork")]["job_id"].iloc[0]
    history.log_lines = history.log_lines[history.log_lines["job_id"] != job]
    row = classify(history).set_index("job_id").loc[job]
    assert (row["category"], row["line_no"], row["line"]) == (UNRECOGNISED, 0, NO_LINE_KEPT)


def test_a_verdict_unpacks_as_category_rule_line_number_and_line() -> None:
    category, rule, line_no, line = classify_log(RAW_LOG)
    assert (category, rule, line_no) == ("quota-exhausted", "quota", 3) and line.startswith("ERROR: Quota")


def test_every_failure_is_named_by_its_own_lines_and_its_own_scope() -> None:
    """Identical kept lines are named once per scope: a Codex job and a DB job with the same lines are each
    judged by their own scope's rules, and every row says what its lines alone say."""
    history = generate(Scenario()).history()
    failed = classify(history)
    db_job = failed[failed["kind"] == "db"]["job_id"].iloc[0]
    codex_jobs = failed[(failed["kind"] == "codex") & (failed["category"] != "skipped-on-fork")]["job_id"]
    lines = history.log_lines
    copied = lines[lines["job_id"] == db_job].assign(job_id=codex_jobs.iloc[0])
    history.log_lines = pd.concat([lines[lines["job_id"] != codex_jobs.iloc[0]], copied], ignore_index=True)
    rows = classify(history).set_index("job_id")
    assert rows.loc[db_job, "category"].startswith("db-")
    assert not rows.loc[codex_jobs.iloc[0], "category"].startswith("db-")
    taxonomy = load_taxonomy()
    kept = history.log_lines.sort_values(["job_id", "line_no"]).groupby("job_id")
    by_job = {job: list(zip(frame["line_no"], frame["text"], strict=True)) for job, frame in kept}
    named = rows[rows["rule"].isin([rule.id for rule in taxonomy.rules])]
    assert len(named) > 100
    for job_id, row in named.iterrows():
        scope = "db" if row["kind"] == "db" else "codex"
        match = name_lines(by_job[job_id], taxonomy.for_scope(scope))
        assert (match.rule.category, match.line_no, match.line) == (row["category"], row["line_no"], row["line"])
