"""Each verdict rule (README, "How verdicts are decided") on a history built for it."""

from __future__ import annotations

import pandas as pd
import pytest

from kit.analysis.classify import match_lines
from kit.analysis.criteria import FAIL, NED, PASS, Observed, analyse, judge
from kit.analysis.parameters import ReportParameters
from kit.errors import UsageError
from kit.sample import Scenario, generate
from kit.taxonomy import load_taxonomy
from kit.vocabulary import parse_kit_message

LINK = "https://github.com/acme/ledger/actions/runs/"


def _observed(violations: int, observations: int, missing: str = "") -> Observed:
    frame = pd.DataFrame({"link": [f"{LINK}{n}" for n in range(violations)]})
    return Observed(frame, observations, "figures", {}, missing_kind=missing)


def test_rule_1_a_violation_fails_whatever_the_sample_size() -> None:
    params = ReportParameters(min_runs=20)
    assert judge("x", "X", _observed(violations=1, observations=3), params).status == FAIL
    assert judge("x", "X", _observed(violations=1, observations=3, missing="fork PRs"), params).status == FAIL


def test_rule_2_no_violation_and_few_observations_is_not_enough_data() -> None:
    params = ReportParameters(min_runs=20)
    verdict = judge("x", "X", _observed(violations=0, observations=19), params)
    assert verdict.status == NED and "fewer than 20" in verdict.figures
    assert judge("x", "X", _observed(0, 500, missing="fork PRs"), params).status == NED


def test_rule_3_no_violation_and_enough_observations_passes() -> None:
    verdict = judge("x", "X", _observed(violations=0, observations=20), ReportParameters(min_runs=20))
    assert verdict.status == PASS and verdict.counts == {"observations_after": 20, "violations_after": 0}


def test_failures_in_a_short_after_window_fail_not_need_more_data() -> None:
    """Server-info failures right after the cutover: FAIL, though there are few runs after it."""
    history = generate(Scenario(days=30, cutover_day=28, runs_per_day=6, after_server_info_failures=3)).history()
    verdicts = {v.id: v for v in analyse(history).verdicts}
    assert verdicts["server-info"].counts["attempts_after"] < 20
    assert verdicts["server-info"].status == FAIL and verdicts["server-info"].counts["failures_after"] >= 1


def test_min_runs_applies_to_every_criterion() -> None:
    history = generate(Scenario()).history()
    strict = analyse(history, ReportParameters(min_runs=100_000))
    assert {v.status for v in strict.verdicts} == {NED}, strict.verdict_table().to_string()


def test_named_and_explained_needs_both_shares() -> None:
    history = generate(Scenario()).history()
    assert {v.id: v.status for v in analyse(history).verdicts}["actionable"] == PASS
    unexplained = history.log_lines["text"].map(parse_kit_message).notna()
    history.log_lines = history.log_lines[~unexplained]
    verdict = {v.id: v for v in analyse(history).verdicts}["actionable"]
    assert verdict.status == FAIL and verdict.counts["message_share"] < 0.95, verdict.figures


@pytest.mark.parametrize(
    "line",
    [
        "##[warning]codex-kit: codex output missing step=review reason=output-missing",
        "::warning title=Codex output contract::codex-kit: codex output missing step=review reason=output-missing",
        "::warning::codex-kit: codex output missing step=review reason=output-missing",
        "codex-kit: codex output missing step=review reason=output-missing",
    ],
)
def test_every_form_of_the_kits_message_is_read(line: str) -> None:
    message = parse_kit_message(line)
    assert message is not None and (message.step, message.reason) == ("review", "output-missing")


def test_the_echoed_script_is_not_a_message() -> None:
    assert parse_kit_message('echo "::warning::codex-kit: codex output missing step=$step reason=$reason"') is None


def test_a_passed_preflight_rules_out_a_key_category() -> None:
    lines = [
        (1, "codex-kit: preflight ok step=codex-preflight - OpenAI accepted the key (HTTP 200)."),
        (9, "Error: Failed to read server info from /home/runner/work/_temp/codex-home/123.json"),
    ]
    rules = load_taxonomy().for_scope("codex")
    assert match_lines(lines[1:], rules).rule.category == "missing-api-key"
    match = match_lines(lines, rules, preflight_passed=True)
    assert match.rule.category == "server-info-missing" and match.line_no == 9


@pytest.mark.parametrize(
    ("field", "value"), [("min_runs", 0), ("min_runs", -1), ("unknown_share", 5), ("message_share", -0.1)]
)
def test_parameters_out_of_range_are_the_users_to_fix(field: str, value: float) -> None:
    with pytest.raises(UsageError, match=field.replace("_", "-")):
        ReportParameters(**{field: value})
