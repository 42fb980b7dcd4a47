"""The shapes real teams write around codex-action, each on a fixture written for it.

Every fixture is patched, patched again (nothing may change), linted with actionlint and zizmor
against its original (no new finding), and every condition the patch wrote is evaluated for each
kind of run.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from kit.patch import yamlread
from kit.patch.ghexpr import condition
from kit.patch.repo import patch_repo
from kit.patch.workflow import WorkflowPatch, patch_workflow
from kit.patch.yamldoc import UnsafeDocument
from kit.vocabulary import CONTRACT_STEP_NAME, KIT_STEP_NAMES, PREFLIGHT_STEP_NAME, PREPARE_STEP_NAME
from tests.steps.harness import EVENTS, JobSim
from tests.support import lint


def wf(body: str) -> str:
    return textwrap.dedent(body).lstrip("\n")


def check(text: str, tmp_path: Path) -> WorkflowPatch:
    """Patch, re-patch, lint before/after and evaluate every kit condition; the first patch's result."""
    first = patch_workflow(text)
    assert first.changed
    assert patch_workflow(first.text).text == first.text, "a second run must change nothing"
    folders = {}
    for name, body in (("before", text), ("after", first.text)):
        folders[name] = tmp_path / name / ".github" / "workflows"
        folders[name].mkdir(parents=True, exist_ok=True)
        (folders[name] / "w.yml").write_text(body)
    added = lint.actionlint([folders["after"] / "w.yml"]) - lint.actionlint([folders["before"] / "w.yml"])
    assert added == {}, added
    assert lint.zizmor(folders["after"]) - lint.zizmor(folders["before"]) == {}
    for job in yamlread.load(first.text)["jobs"].values():
        for step in job.get("steps") or []:
            if step.get("name") in KIT_STEP_NAMES or "openai/codex-action" in str(step.get("uses")):
                for event in EVENTS:  # each condition parses and evaluates for every kind of run
                    ctx = JobSim(tmp_path / "sim", event=event).context()
                    condition(step.get("if"), ctx)
                    condition(job.get("if"), ctx)
    return first


def notes(result: WorkflowPatch) -> str:
    return "\n".join(n for plan in result.jobs for n in plan.notes)


def steps(result: WorkflowPatch, job: str) -> list[dict[str, Any]]:
    return yamlread.load(result.text)["jobs"][job]["steps"]


def named(result: WorkflowPatch, job: str, name: str) -> list[dict[str, Any]]:
    return [s for s in steps(result, job) if s.get("name") == name]


BRACKETS = wf(
    """
    on: [pull_request]
    jobs:
      review:
        runs-on: ubuntu-latest
        steps:
          - id: run-codex
            uses: openai/codex-action@v1
            with:
              openai-api-key: ${{ secrets.OPENAI_API_KEY }}
              prompt: Review.
          - name: Post
            if: steps['run-codex'].outcome == 'success'
            env:
              MESSAGE: ${{ steps.run-codex.outputs['final-message'] }}
            run: echo "$MESSAGE"
          - name: Mark failure
            if: steps['run-codex'].conclusion == 'failure'
            run: echo failed
          - name: On failure
            if: failure()
            run: echo failed
    """
)


def test_readers_in_bracket_syntax(tmp_path: Path) -> None:
    result = check(BRACKETS, tmp_path)
    text = notes(result)
    assert "`Post` (final-message, outcome)" in text
    assert "`Mark failure` reads steps.run-codex.conclusion, which is always success" in text
    assert "`On failure` runs on failure()" in text
    (contract,) = named(result, "review", CONTRACT_STEP_NAME)
    assert contract["env"]["CODEX_KIT_STEP"] == "run-codex"


LEGACY = wf(
    """
    on: [workflow_dispatch]
    jobs:
      codex:
        runs-on: ubuntu-latest
        steps:
          - uses: openai/codex-action@main
            with:
              openai_api_key: ${{ secrets.OPENAI_API_KEY }}
              codex_args: --full-auto
              output_file: out/codex.md
              prompt: Do it.
    """
)


def test_snake_case_inputs_are_read_and_noted(tmp_path: Path) -> None:
    result = check(LEGACY, tmp_path)
    (preflight,) = named(result, "codex", PREFLIGHT_STEP_NAME)
    assert preflight["env"]["CODEX_KIT_API_KEY"] == "${{ secrets.OPENAI_API_KEY }}"
    (contract,) = named(result, "codex", CONTRACT_STEP_NAME)
    assert contract["env"]["CODEX_KIT_OUTPUT_FILE"] == "out/codex.md"
    assert "hashFiles('out/codex.md')" in contract["if"]
    assert "`openai_api_key` → `openai-api-key`" in notes(result)
    assert "`codex_args` → `codex-args`" in notes(result)


@pytest.mark.parametrize(
    "key",
    [
        "${{ env.CODEX_KEY }}",
        "${{ secrets.OPENAI_KEY || secrets.OPENAI_API_KEY }}",
    ],
)
def test_indirect_keys_reach_the_preflight_as_written(key: str, tmp_path: Path) -> None:
    text = LEGACY.replace("${{ secrets.OPENAI_API_KEY }}", key).replace(
        "    runs-on: ubuntu-latest\n", "    runs-on: ubuntu-latest\n    env:\n      CODEX_KEY: ${{ secrets.K }}\n"
    )
    result = check(text, tmp_path)
    (preflight,) = named(result, "codex", PREFLIGHT_STEP_NAME)
    assert preflight["env"]["CODEX_KIT_API_KEY"] == key
    assert JobSim(tmp_path, secrets={"OPENAI_API_KEY": "sk-b"}).should_run(preflight)


def test_a_key_from_the_codex_steps_own_env_reaches_the_preflight(tmp_path: Path) -> None:
    text = LEGACY.replace("${{ secrets.OPENAI_API_KEY }}", "${{ env['STEP_KEY'] }}").replace(
        "        with:\n", "        env:\n          STEP_KEY: ${{ secrets.OPENAI_API_KEY }}\n        with:\n"
    )
    result = check(text, tmp_path)
    (preflight,) = named(result, "codex", PREFLIGHT_STEP_NAME)
    assert preflight["env"]["CODEX_KIT_API_KEY"] == "${{ secrets.OPENAI_API_KEY }}"


EXPRESSION_INPUTS = wf(
    """
    on:
      workflow_dispatch:
        inputs:
          sandbox:
            type: string
            default: read-only
    jobs:
      codex:
        runs-on: ubuntu-latest
        steps:
          - id: codex
            uses: openai/codex-action@v1
            with:
              openai-api-key: ${{ secrets.OPENAI_API_KEY }}
              sandbox: ${{ inputs.sandbox }}
              codex-home: ${{ runner.temp }}/seeded-home
              prompt: Do it.
    """
)


def test_expression_inputs_are_kept(tmp_path: Path) -> None:
    result = check(EXPRESSION_INPUTS, tmp_path)
    (codex,) = [s for s in steps(result, "codex") if s.get("id") == "codex"]
    assert codex["with"]["sandbox"] == "${{ inputs.sandbox }}"
    assert "CODEX_HOME" not in (codex.get("env") or {}), "its own codex-home is used"
    (prepare,) = named(result, "codex", PREPARE_STEP_NAME)
    assert prepare["env"]["CODEX_KIT_HOME"] == "${{ runner.temp }}/seeded-home"
    assert prepare["env"]["CODEX_KIT_FRESH"] == "false"


def test_unprivileged_user_with_its_own_home_gets_a_note(tmp_path: Path) -> None:
    text = EXPRESSION_INPUTS.replace("sandbox: ${{ inputs.sandbox }}", "safety-strategy: unprivileged-user")
    result = check(text, tmp_path)
    assert "sudo, which drops CODEX_HOME: Codex reads ~<codex-user>/.codex" in notes(result)


REUSABLE = wf(
    """
    on:
      workflow_call:
        secrets:
          OPENAI_API_KEY:
            required: true
    jobs:
      codex:
        runs-on: ubuntu-latest
        steps:
          - uses: openai/codex-action@v1
            with:
              openai-api-key: ${{ secrets.OPENAI_API_KEY }}
              prompt: Review.
    """
)
CALLER = wf(
    """
    on: [pull_request, push]
    jobs:
      review:
        uses: ./.github/workflows/codex-reusable.yml
        secrets: inherit
    """
)


def test_reusable_workflow_is_hardened_and_its_caller_is_not_guarded_twice(tmp_path: Path) -> None:
    check(REUSABLE, tmp_path)
    folder = tmp_path / "repo" / ".github" / "workflows"
    folder.mkdir(parents=True)
    (folder / "codex-reusable.yml").write_text(REUSABLE)
    (folder / "caller.yml").write_text(CALLER)
    result = patch_repo(tmp_path / "repo")
    assert {f.path: f.status for f in result.files} == {".github/workflows/codex-reusable.yml": "patched"}
    assert (folder / "caller.yml").read_text() == CALLER
    job = yamlread.load((folder / "codex-reusable.yml").read_text())["jobs"]["codex"]
    assert "head.repo.full_name == github.repository" in job["if"]


def test_duplicate_key_is_refused() -> None:
    text = REUSABLE.replace("    runs-on: ubuntu-latest\n", "    runs-on: ubuntu-latest\n    runs-on: ubuntu-22.04\n")
    with pytest.raises(UnsafeDocument, match="duplicate key"):
        patch_workflow(text)
