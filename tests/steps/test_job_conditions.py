"""Where the patched Codex jobs and steps run, per event, by GitHub's expression rules.

For every Codex job of the sample and of every corpus workflow: on push, schedule, dispatch and a
same-repo PR the patched job runs exactly when the original did; on a fork PR (and a fork
`pull_request_target`) it never runs. The Codex step itself runs only after a successful preflight.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kit.patch import yamlread
from kit.patch.ghexpr import Context, Status, condition
from kit.patch.locate import is_codex_step
from kit.patch.workflow import patch_workflow
from kit.vocabulary import PREFLIGHT_ID
from tests.steps.harness import EVENTS, FORK_EVENTS, github_context

SAMPLE = Path(__file__).resolve().parents[1] / "sample_target" / ".github" / "workflows" / "invariants.yml"


def load(text: str) -> dict[str, Any]:
    return yamlread.load(text)


def job_runs(job: dict[str, Any], event: str) -> bool:
    return condition(job.get("if"), Context({"github": github_context(event), "needs": {}, "vars": {}, "inputs": {}}))


def check_guard(original: dict[str, Any], patched: dict[str, Any], where: str) -> int:
    checked = 0
    for name, job in patched["jobs"].items():
        if not any(is_codex_step(step) for step in job.get("steps") or []):
            continue
        for event in EVENTS:
            before, after = job_runs(original["jobs"][name], event), job_runs(job, event)
            if event in FORK_EVENTS:
                assert not after, f"{where} job `{name}` runs on a {event}"
            else:
                assert after == before, f"{where} job `{name}` on {event}: ran={before}, patched runs={after}"
            checked += 1
    return checked


def test_sample_guard() -> None:
    text = SAMPLE.read_text()
    assert check_guard(load(text), load(patch_workflow(text).text), "sample") == 2 * len(EVENTS)


def test_corpus_guards(shared_dir: Path) -> None:
    checked = 0
    for path in sorted((shared_dir / "corpus" / "workflows").glob("*.yml")):
        text = path.read_text()
        checked += check_guard(load(text), load(patch_workflow(text).text), path.name)
    assert checked > 50 * len(EVENTS)


def test_push_and_schedule_really_run_the_sample_jobs() -> None:
    patched = load(patch_workflow(SAMPLE.read_text()).text)
    for event in ("push", "schedule", "workflow_dispatch", "same-repo PR"):
        assert job_runs(patched["jobs"]["invariants-review"], event)


def test_naive_guard_is_caught() -> None:
    text = SAMPLE.read_text()
    original = load(text)
    broken = load(patch_workflow(text).text)
    broken["jobs"]["invariants-review"]["if"] = "github.event.pull_request.head.repo.full_name == github.repository"
    with pytest.raises(AssertionError, match="push"):
        check_guard(original, broken, "naive")


@pytest.mark.parametrize(("preflight", "runs"), [("success", True), ("failure", False)])
def test_codex_step_runs_only_after_a_good_preflight(preflight: str, runs: bool) -> None:
    patched = load(patch_workflow(SAMPLE.read_text()).text)
    (codex,) = [s for s in patched["jobs"]["invariants-review"]["steps"] if is_codex_step(s)]
    steps = {PREFLIGHT_ID: {"outcome": preflight, "conclusion": "success", "outputs": {}}}
    context = Context({"github": github_context("push"), "steps": steps}, Status())
    assert condition(codex.get("if"), context) is runs
