"""The generated `Codex preflight` step, run with bash against a local stand-in for OpenAI."""

from __future__ import annotations

import copy
import socket
from pathlib import Path
from typing import Any

import pytest

from kit.vocabulary import ENV_BASE_URL, PREFLIGHT_STEP_NAME, preflight_line
from tests.steps.harness import JobSim, OpenAIStandIn, kit_steps

KEY = "sk-test-7fQk2mZx0Pq9Lr4Tt8Vv1Ww3Yy5Aa6Bb"

SCENARIOS = [
    # id, status, body, reason, fragment of the message
    ("ok", 200, {"object": "list", "data": []}, "ok", "OpenAI accepted the key"),
    (
        "invalid",
        401,
        {
            "error": {
                "message": f"Incorrect API key provided: {KEY[:8]}***",
                "type": "invalid_request_error",
                "param": None,
                "code": "invalid_api_key",
            }
        },
        "invalid-key",
        "status=401 code=invalid_api_key",
    ),
    (
        "rejected",
        401,
        {
            "error": {
                "message": "You didn't provide an API key.",
                "type": "invalid_request_error",
                "param": None,
                "code": None,
            }
        },
        "key-rejected",
        "status=401 code=none",
    ),
    (
        "quota",
        429,
        {
            "error": {
                "message": "You exceeded your current quota",
                "type": "insufficient_quota",
                "param": None,
                "code": "insufficient_quota",
            }
        },
        "no-quota",
        "code=insufficient_quota",
    ),
    (
        "credit",
        429,
        {
            "error": {
                "message": "Credit balance exhausted",
                "type": "insufficient_quota",
                "param": None,
                "code": "credit_balance_exhausted",
            }
        },
        "no-quota",
        "code=credit_balance_exhausted",
    ),
    (
        "quota-no-code",
        429,
        {"error": {"message": "quota", "type": "insufficient_quota", "param": None, "code": None}},
        "no-quota",
        "status=429",
    ),
    (
        "rate",
        429,
        {"error": {"message": "Rate limit reached", "type": "tokens", "param": None, "code": "rate_limit_exceeded"}},
        "rate-limited",
        "code=rate_limit_exceeded",
    ),
    (
        "server",
        500,
        {"error": {"message": "oops", "type": "server_error", "param": None, "code": None}},
        "other",
        "status=500",
    ),
]


def preflight_of(workflow: dict[str, Any], job: str) -> dict[str, Any]:
    (step,) = kit_steps(workflow["jobs"][job], PREFLIGHT_STEP_NAME)
    return step


def check_scenario(step: dict, root: Path, status: int, body: dict, reason: str, fragment: str) -> None:
    with OpenAIStandIn() as openai:
        openai.answer.status, openai.answer.body = status, body
        sim = JobSim(root, secrets={"OPENAI_API_KEY": KEY}, extra_env={ENV_BASE_URL: openai.url})
        result = sim.run(step)
    assert result.outputs.get("reason") == reason
    assert (result.returncode == 0) == (reason == "ok")
    assert fragment in result.log
    if reason != "ok":
        assert f"::error title=Codex preflight::{preflight_line(step['id'], reason)}" in result.stdout
    assert KEY not in result.log, "the key must never be printed"
    assert [r["path"] for r in openai.requests] == ["/v1/models"]
    assert openai.requests[0]["authorization"] == f"Bearer {KEY}"


@pytest.mark.parametrize(
    ("status", "body", "reason", "fragment"), [s[1:] for s in SCENARIOS], ids=[s[0] for s in SCENARIOS]
)
def test_preflight_answers(sample_workflow, workdir: Path, status, body, reason, fragment) -> None:
    check_scenario(preflight_of(sample_workflow, "invariants-review"), workdir, status, body, reason, fragment)


def test_missing_key_fails_fast_without_a_request(sample_workflow, workdir: Path) -> None:
    step = preflight_of(sample_workflow, "invariants-review")
    with OpenAIStandIn() as openai:
        sim = JobSim(workdir, secrets={}, extra_env={ENV_BASE_URL: openai.url})
        result = sim.run(step)
    assert result.returncode == 1 and result.outputs == {"reason": "missing-key"}
    assert preflight_line("codex-preflight", "missing-key") in result.stdout
    assert "the OpenAI API key is empty" in result.stdout
    assert openai.requests == []


def test_connection_refused_is_other_with_status_000(sample_workflow, workdir: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    sim = JobSim(workdir, secrets={"OPENAI_API_KEY": KEY}, extra_env={ENV_BASE_URL: f"http://127.0.0.1:{port}"})
    result = sim.run(preflight_of(sample_workflow, "invariants-review"))
    assert result.returncode == 1 and result.outputs["reason"] == "other"
    assert "status=000" in result.stdout and KEY not in result.log


def test_malformed_key_is_refused_before_any_request(sample_workflow, workdir: Path) -> None:
    with OpenAIStandIn() as openai:
        sim = JobSim(workdir, secrets={"OPENAI_API_KEY": KEY + "\n"}, extra_env={ENV_BASE_URL: openai.url})
        result = sim.run(preflight_of(sample_workflow, "invariants-review"))
    assert result.outputs["reason"] == "invalid-key" and openai.requests == []


def test_corpus_preflights_run(corpus_workflows, workdir: Path) -> None:
    """Real workflows: key via `with:`, key via step env only, and a custom responses endpoint."""
    _, zep = corpus_workflows["getzep__zep__codex-code-review.yml"]
    check_scenario(preflight_of(zep, "review"), workdir / "zep", *SCENARIOS[1][1:])
    _, env_only = corpus_workflows["0-sayed__hena-wadeena__codex.yml"]
    check_scenario(preflight_of(env_only, "codex"), workdir / "env", *SCENARIOS[3][1:])
    _, hapi = corpus_workflows["tiann__hapi__codex-pr-review.yml"]
    job = next(name for name, job in hapi["jobs"].items() if kit_steps(job, PREFLIGHT_STEP_NAME))
    with OpenAIStandIn() as openai:
        sim = JobSim(workdir / "hapi", secrets={"OPENAI_API_KEY": KEY}, extra_env={ENV_BASE_URL: openai.url})
        result = sim.run(preflight_of(hapi, job))
    assert result.returncode == 0 and result.outputs["reason"] == "ok" and openai.requests == []
    assert "responses-api-endpoint" in result.stdout


BROKEN = {
    "prints the key": lambda s: s.replace("set -u\n", 'set -u\necho "using ${CODEX_KIT_API_KEY}"\n', 1),
    "calls invalid keys rejected": lambda s: s.replace('fail invalid-key "$detail', 'fail key-rejected "$detail'),
    "calls no quota a rate limit": lambda s: s.replace("fail no-quota", "fail rate-limited"),
    "does not fail": lambda s: s.replace("  exit 1\n}", "  exit 0\n}"),
}


@pytest.mark.parametrize("mutation", list(BROKEN))
def test_broken_preflight_is_caught(sample_workflow, workdir: Path, mutation: str) -> None:
    step = copy.deepcopy(preflight_of(sample_workflow, "invariants-review"))
    step["run"] = BROKEN[mutation](step["run"])
    assert step["run"] != preflight_of(sample_workflow, "invariants-review")["run"]
    with pytest.raises(AssertionError):
        for index, (_, status, body, reason, fragment) in enumerate(SCENARIOS):
            check_scenario(step, workdir / str(index), status, body, reason, fragment)
