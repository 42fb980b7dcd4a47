"""The generated `Codex output contract` steps: when they run, what they say, what they leave."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from kit.vocabulary import CONTRACT_STEP_NAME, PREFLIGHT_ID, contract_line
from tests.steps.harness import JobSim, kit_steps


def contract_for(workflow: dict[str, Any], job: str, index: int = 0) -> dict[str, Any]:
    return kit_steps(workflow["jobs"][job], CONTRACT_STEP_NAME)[index]


def simulate(
    step: dict[str, Any], root: Path, preflight: str, outcome: str, output: str | None, message: str = ""
) -> tuple[JobSim, bool]:
    """A job run up to the contract: preflight result, Codex outcome, the output file as Codex left it."""
    sim = JobSim(root)
    sim.record(PREFLIGHT_ID, "success" if preflight == "ok" else "failure", {"reason": preflight})
    sim.record(step["env"]["CODEX_KIT_STEP"], outcome, {"final-message": message} if outcome == "success" else {})
    name = step["env"].get("CODEX_KIT_OUTPUT_FILE")
    if name and output is not None:
        (sim.workspace / name).write_text(output)
    return sim, sim.should_run(step)


REVIEW = [
    # id, preflight reason, codex outcome, file content (None = absent), final message, expected reason
    ("all-well", "ok", "success", "Looks fine.\n", "Looks fine.", None),
    ("no-key", "missing-key", "skipped", None, "", "preflight-missing-key"),
    ("quota", "no-quota", "skipped", None, "", "preflight-no-quota"),
    ("codex-failed", "ok", "failure", None, "", "codex-failed"),
    ("no-file", "ok", "success", None, "A review.", "output-missing"),
    ("empty", "ok", "success", "", "", "output-empty"),
]


def check_review(step: dict[str, Any], root: Path, preflight, outcome, output, message, reason) -> bytes | None:
    sim, runs = simulate(step, root, preflight, outcome, output, message)
    assert runs == (reason is not None), "the contract runs exactly when there is something to report"
    result = sim.run(step)
    assert result.returncode == 0, "the contract never fails the job"
    target = sim.workspace / step["env"]["CODEX_KIT_OUTPUT_FILE"]
    if reason is None:
        assert "::warning" not in result.stdout and target.read_text() == output
        return None
    assert f"::warning title=Codex output contract::{contract_line(step['env']['CODEX_KIT_STEP'], reason)}" in (
        result.stdout
    )
    assert "contents of the Codex home" in result.stdout
    return target.read_bytes()


@pytest.mark.parametrize(
    ("preflight", "outcome", "output", "message", "reason"), [r[1:] for r in REVIEW], ids=[r[0] for r in REVIEW]
)
def test_markdown_output_contract(sample_workflow, workdir: Path, preflight, outcome, output, message, reason) -> None:
    step = contract_for(sample_workflow, "invariants-review")
    placeholder = check_review(step, workdir / "a", preflight, outcome, output, message, reason)
    again = check_review(step, workdir / "b", preflight, outcome, output, message, reason)
    assert placeholder == again, "the placeholder is byte-identical across runs"
    if reason:
        assert placeholder == f"codex-kit: no Codex output (step=review reason={reason})\n".encode()


JSON_CASES = [
    ("valid", "success", '{"tables": 1}\n', None),
    ("invalid", "success", '{"tables": 1', "output-invalid-json"),
    ("missing", "success", None, "output-missing"),
    ("failed", "failure", None, "codex-failed"),
]


@pytest.mark.parametrize(("outcome", "output", "reason"), [c[1:] for c in JSON_CASES], ids=[c[0] for c in JSON_CASES])
def test_json_output_contract(sample_workflow, workdir: Path, outcome, output, reason) -> None:
    step = contract_for(sample_workflow, "schema-summary", 0)
    sim, runs = simulate(step, workdir, "ok", outcome, output, "x" if output else "")
    assert runs, "a JSON output is always checked after Codex ran"
    result = sim.run(step)
    target = sim.workspace / "schema-summary.json"
    assert result.returncode == 0
    if reason is None:
        assert "::warning" not in result.stdout and target.read_text() == output
        return
    assert contract_line("codex", reason) in result.stdout
    assert json.loads(target.read_text()) == {"codex_kit_placeholder": True, "step": "codex", "reason": reason}
    if reason == "output-invalid-json":
        assert (sim.workspace / "schema-summary.json.invalid").read_text() == output


def test_contract_skipped_when_codex_was_skipped_by_its_own_condition(sample_workflow, workdir: Path) -> None:
    step = contract_for(sample_workflow, "invariants-review")
    _, runs = simulate(step, workdir, "ok", "skipped", None)
    assert not runs


def test_contract_for_final_message_only(corpus_workflows, workdir: Path) -> None:
    """getzep/zep reads only `final-message`: an empty message is reported, no file is written."""
    _, zep = corpus_workflows["getzep__zep__codex-code-review.yml"]
    step = contract_for(zep, "review")
    sim, runs = simulate(step, workdir, "ok", "success", None, "")
    assert runs
    result = sim.run(step)
    assert contract_line("codex", "output-empty") in result.stdout
    assert list(sim.workspace.iterdir()) == []


BROKEN = {
    "no reason field": lambda s: s.replace("step=$step reason=$reason", "step=$step"),
    "dated placeholder": lambda s: s.replace(
        '(step=%s reason=%s)\\n\' "$step"', '(step=%s reason=%s) $(date +%N)\\n\' "$step"'
    ),
    "fails the job": lambda s: s.rstrip().removesuffix("exit 0") + "exit 1\n",
}


@pytest.mark.parametrize("mutation", list(BROKEN))
def test_broken_contract_is_caught(sample_workflow, workdir: Path, mutation: str) -> None:
    step = copy.deepcopy(contract_for(sample_workflow, "invariants-review"))
    step["run"] = BROKEN[mutation](step["run"])
    assert step["run"] != contract_for(sample_workflow, "invariants-review")["run"]
    with pytest.raises(AssertionError):
        for index, case in enumerate(REVIEW):
            first = check_review(step, workdir / f"{index}a", *case[1:])
            assert first == check_review(step, workdir / f"{index}b", *case[1:])
