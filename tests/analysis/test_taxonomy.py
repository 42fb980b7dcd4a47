"""Taxonomy rules against real log fragments (the exact strings codex-action and Codex print)."""

from __future__ import annotations

import pytest

from kit.analysis.classify import match_lines
from kit.taxonomy import load_taxonomy

CODEX = load_taxonomy().for_scope("codex")
DB = load_taxonomy().for_scope("db")

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
]  # fmt: skip


@pytest.mark.parametrize(("category", "lines"), FRAGMENTS, ids=[f"{c}-{i}" for i, (c, _) in enumerate(FRAGMENTS)])
def test_fragment(category: str, lines: list[str]) -> None:
    numbered = [(n, line.removeprefix(">>")) for n, line in enumerate(lines, start=1)]
    marked = next(n for n, line in enumerate(lines, start=1) if line.startswith(">>"))
    match = match_lines(numbered, CODEX)
    assert match.rule is not None and match.rule.category == category
    assert match.line_no == marked


def test_unmatched_is_no_rule() -> None:
    assert match_lines([(1, "Error: codex exited with code 137")], CODEX).rule is None


def test_db_rules() -> None:
    lines = [(1, "E   AssertionError: expected exactly one ACTIVE policy, found 0"), (2, "##[error]Process completed")]
    assert match_lines(lines, DB).rule.category == "db-active-count"
    assert match_lines([(1, "##[error]Process completed with exit code 1.")], DB).rule.category == "db-other"


def test_every_rule_has_meaning_and_remedy_and_compiles_into_the_signal() -> None:
    taxonomy = load_taxonomy()
    assert taxonomy.signal().search("Failed to read server info from x")
    for rule in taxonomy.rules:
        assert rule.meaning and rule.remedy, rule.id
