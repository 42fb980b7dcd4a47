"""Taxonomy rules against real log fragments (the exact strings codex-action and Codex print).

Every rule needs a labelled example that it matches and that no earlier rule steals: the fragments
below and the real failures in real_failures.yaml together must cover every rule (a test).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kit.analysis.classify import classify_log, match_lines
from kit.taxonomy import UNRECOGNISED, load_taxonomy
from kit.vocabulary import preflight_passed

CODEX = load_taxonomy().for_scope("codex")
DB = load_taxonomy().for_scope("db")
REAL = yaml.safe_load((Path(__file__).with_name("real_failures.yaml")).read_text(encoding="utf-8"))

FRAGMENTS = [
    # (expected category, lines; the line marked with >> is the evidence)
    ("missing-api-key", [
        "Resolved Codex home: /home/runner/.codex",
        "Error reading server info: Error: ENOENT: no such file or directory, open '/home/runner/.codex/123.json'",
        ">>Error: Failed to read server info from /home/runner/.codex/123.json",
    ]),
    ("server-info-missing", [
        "responses-api-proxy listening on 127.0.0.1:37841",
        ">>Error: Failed to read server info from /home/runner/work/_temp/codex-home/123.json",
    ]),
    ("server-info-missing", [">>responses-api-proxy did not write server info"]),
    ("stale-server-info", [
        ">>Responses API proxy already appears to be running (found /home/runner/.codex/123.json).",
        "ERROR: stream disconnected before completion: error sending request for url (http://127.0.0.1:1/v1/responses)",
    ]),
    ("actor-not-permitted", [
        ">>##[error]Actor 'cursor[bot]' is not permitted to run this action: Actor 'cursor[bot]' must have write "
        "access to o/r. Detected permission: 'none'.",
    ]),
    ("invalid-key", [">>ERROR: unexpected status 401 Unauthorized: Incorrect API key provided: sk-…"]),
    ("quota-exhausted", [">>ERROR: Quota exceeded. Check your plan and billing details.", "Error: codex exited with code 1"]),
    ("rate-limited", [">>Rate limit reached for o4-mini in organization org-x on tokens per min (TPM): Limit 1"]),
    ("model-not-found", [">>unexpected status 404 Not Found: The model `gpt-5.5` does not exist or you do not have access to it."]),
    ("sudo", [">>Unexpected: passwordless sudo not available."]),
    ("sandbox", [">>bwrap: loopback: Failed RTM_NEWADDR: Operation not permitted"]),
    ("config-error", [">>Error: `codex-args` cannot override `model_providers.x.stream_max_retries` with a protected"]),
    ("hang-timeout", ["tokens used", ">>##[error]The job running on runner X has exceeded the maximum execution time of 30 minutes."]),
    ("network-upstream", [">>stream disconnected before completion: error sending request for url (https://api.openai.com)"]),
    ("missing-api-key", [">>##[error]codex-kit: preflight failed step=codex-preflight reason=missing-key - the key is empty"]),
    ("invalid-key", [">>##[warning]codex-kit: codex output missing step=review reason=preflight-key-rejected"]),
    ("quota-exhausted", [">>ERROR: Quota exceeded. Check your plan and billing details.",
                         "##[warning]codex-kit: codex output missing step=review reason=codex-failed"]),
    ("output-missing", [">>##[warning]codex-kit: codex output missing step=review reason=output-invalid-json"]),
    ("codex-failed", ["Error: codex exited with code 137", ">>##[warning]codex-kit: codex output missing step=r reason=codex-failed"]),
    ("quota-exhausted", [">>##[error]codex-kit: preflight failed step=codex-preflight reason=no-quota status=429 code=insufficient_quota"]),
    ("rate-limited", [">>##[error]codex-kit: preflight failed step=codex-preflight reason=rate-limited status=429"]),
    ("network-upstream", [">>##[error]codex-kit: preflight failed step=codex-preflight reason=other status=503"]),
    ("server-info-missing", [
        "codex-kit: preflight ok step=codex-preflight - OpenAI accepted the key (HTTP 200).",
        ">>Error: Failed to read server info from /home/runner/work/_temp/codex-home/123.json",
    ]),
    ("codex-exited", ["Running: CODEX_HOME=/home/runner/.codex codex \"exec\"", ">>Error: codex exited with code 137"]),
    ("codex-exited", [">>Error: sudo exited with code 1"]),
    ("runner-lost", ["tokens used", ">>##[error]The runner has received a shutdown signal. This can happen when the runner service is stopped, or a manually started runner is canceled.", "##[error]The operation was canceled."]),
    ("permission-check-failed", [">>Error: A GitHub token is required to check permissions (set GITHUB_TOKEN or GH_TOKEN)."]),
    ("unprivileged-user", [">>Error: codex-user input must be provided when using 'unprivileged-user' safety strategy and no codex-home is specified."]),
    ("config-error", [">>Error: Only one of `prompt` or `prompt-file` may be specified."]),
    ("quota-exhausted", [">>ERROR: unexpected status 429 Too Many Requests: {\"error\":{\"code\":\"project_spend_limit_exceeded\"}}"]),
]  # fmt: skip


def _match(lines: list[str]):
    numbered = [(n, line.removeprefix(">>")) for n, line in enumerate(lines, start=1)]
    return match_lines(numbered, CODEX, any(preflight_passed(text) for _, text in numbered))


@pytest.mark.parametrize(("category", "lines"), FRAGMENTS, ids=[f"{c}-{i}" for i, (c, _) in enumerate(FRAGMENTS)])
def test_fragment(category: str, lines: list[str]) -> None:
    marked = next(n for n, line in enumerate(lines, start=1) if line.startswith(">>"))
    match = _match(lines)
    assert match.rule is not None and match.rule.category == category
    assert match.line_no == marked


def test_unmatched_is_no_rule() -> None:
    assert match_lines([(1, "Error: the review bot crashed")], CODEX).rule is None
    verdict = classify_log("Error: the review bot crashed\n##[error]Process completed with exit code 1.\n")
    assert (verdict.category, verdict.line_no, verdict.line) == (UNRECOGNISED, 1, "Error: the review bot crashed")


def test_every_rule_has_an_example_it_matches_that_no_earlier_rule_steals() -> None:
    """A rule no labelled example reaches is either dead (an earlier rule steals its lines) or untested."""
    named: dict[str, set[str]] = {}
    for category, lines in FRAGMENTS:
        match = _match(lines)
        if match.rule is not None and match.rule.category == category:
            named.setdefault(match.rule.id, set()).add("fragment")
    for entry in REAL:
        verdict = classify_log("\n".join(entry["lines"]))
        if verdict.category == entry["category"] and verdict.rule:
            named.setdefault(verdict.rule, set()).add(entry["id"])
    db_lines = [
        [(1, "E   AssertionError: expected exactly one ACTIVE policy, found 0")],
        [(1, "##[error]Process completed")],
    ]
    for lines in db_lines:
        named.setdefault(match_lines(lines, DB).rule.id, set()).add("db fragment")
    missing = [rule.id for rule in load_taxonomy().rules if rule.id not in named]
    assert not missing, f"rules without a labelled example that reaches them: {missing}"


def test_db_rules() -> None:
    lines = [(1, "E   AssertionError: expected exactly one ACTIVE policy, found 0"), (2, "##[error]Process completed")]
    assert match_lines(lines, DB).rule.category == "db-active-count"
    assert match_lines([(1, "##[error]Process completed with exit code 1.")], DB).rule.category == "db-other"


def test_every_rule_has_meaning_and_remedy_and_compiles_into_the_signal() -> None:
    taxonomy = load_taxonomy()
    assert taxonomy.signal().search("Failed to read server info from x")
    for rule in taxonomy.rules:
        assert rule.meaning and rule.remedy, rule.id
