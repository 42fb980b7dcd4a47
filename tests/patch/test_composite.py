"""Codex inside local composite actions: hardened in place, with the fork guard on every caller.

The fixture repository (written for this test) has a composite action that runs codex-action, a
second local action that runs it only through the first, one in a folder outside `.github/actions`
named by a workflow, and workflows whose jobs call them next to jobs that do not. Everything is
patched, re-patched (nothing changes), checked against GitHub's action and workflow schemas,
actionlint and zizmor (no new finding), and the conditions the kit wrote are evaluated.
"""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from kit.patch import yamlread
from kit.patch.ghexpr import condition
from kit.patch.repo import patch_repo
from kit.patch.transforms import FORK_GUARD
from kit.vocabulary import CONTRACT_STEP_NAME, PREFLIGHT_STEP_NAME, PREPARE_STEP_NAME
from tests.steps.harness import EVENTS, FORK_EVENTS, JobSim
from tests.support import lint


def text(body: str) -> str:
    return textwrap.dedent(body).lstrip("\n")


REVIEW_ACTION = text(
    """
    name: Codex review
    description: Review the change with Codex and post the result
    inputs:
      openai-api-key:
        description: OpenAI key
        required: true
    runs:
      using: composite
      steps:
        - name: Build the prompt
          shell: bash
          run: echo "Review this change." > prompt.md
        - name: Run Codex
          id: codex
          uses: openai/codex-action@v1
          with:
            openai-api-key: ${{ inputs.openai-api-key }}
            prompt-file: prompt.md
            output-file: review.md
        - name: Show the review
          shell: bash
          env:
            MESSAGE: ${{ steps.codex.outputs['final-message'] }}
          run: echo "$MESSAGE"
    """
)
WRAPPER_ACTION = text(
    """
    name: Review wrapper
    description: Prepares and calls the review action
    inputs:
      key:
        description: OpenAI key
        required: true
    runs:
      using: composite
      steps:
        - shell: bash
          run: echo preparing
        - uses: ./.github/actions/codex-review
          with:
            openai-api-key: ${{ inputs.key }}
    """
)
TOOLS_ACTION = text(
    """
    name: Triage
    description: Codex triage kept outside .github
    runs:
      using: composite
      steps:
        - uses: openai/codex-action@v1
          with:
            openai-api-key: ${{ env.OPENAI_API_KEY }}
            prompt: Triage.
    """
)
OTHER_ACTION = text(
    """
    name: Setup
    description: Not Codex
    runs:
      using: composite
      steps:
        - shell: bash
          run: echo setup
    """
)
REVIEW_WORKFLOW = text(
    """
    name: Review
    on:
      pull_request:
      push:
        branches: [main]
    permissions:
      contents: read
    jobs:
      review:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
            with:
              persist-credentials: false
          - uses: ./.github/actions/codex-review
            with:
              openai-api-key: ${{ secrets.OPENAI_API_KEY }}
      wrapped:
        if: github.actor != 'bot'
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
            with:
              persist-credentials: false
          - uses: ./.github/actions/wrapper
            with:
              key: ${{ secrets.OPENAI_API_KEY }}
      build:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
            with:
              persist-credentials: false
          - uses: ./.github/actions/setup
          - run: make
    """
)
TRIAGE_WORKFLOW = text(
    """
    name: Triage
    on:
      issues:
        types: [opened]
    permissions:
      contents: read
    jobs:
      triage:
        runs-on: ubuntu-latest
        env:
          OPENAI_API_KEY: ${{ secrets.OPENAI_API_KEY }}
        steps:
          - uses: actions/checkout@v4
            with:
              persist-credentials: false
          - uses: ./tools/triage/
    """
)
FILES = {
    ".github/actions/codex-review/action.yml": REVIEW_ACTION,
    ".github/actions/wrapper/action.yaml": WRAPPER_ACTION,
    ".github/actions/setup/action.yml": OTHER_ACTION,
    "tools/triage/action.yml": TOOLS_ACTION,
    ".github/workflows/review.yml": REVIEW_WORKFLOW,
    ".github/workflows/triage.yml": TRIAGE_WORKFLOW,
}


def make_repo(root: Path, files: dict[str, str]) -> Path:
    for rel, body in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(body)
    return root


@pytest.fixture
def patched(tmp_path: Path):
    original = make_repo(tmp_path / "original", FILES)
    repo = make_repo(tmp_path / "repo", FILES)
    return original, repo, patch_repo(repo)


def read(repo: Path, rel: str) -> dict:
    return yamlread.load((repo / rel).read_text())


def test_actions_and_callers_are_reported(patched) -> None:
    _, _, result = patched
    by_path = {f.path: f for f in result.files}
    review = by_path[".github/actions/codex-review/action.yml"]
    assert review.kind == "action" and review.status == "patched"
    assert review.callers == [".github/workflows/review.yml: job `review`", ".github/actions/wrapper/action.yaml"]
    wrapper = by_path[".github/actions/wrapper/action.yaml"]
    assert wrapper.status == "unchanged" and wrapper.callers == [".github/workflows/review.yml: job `wrapped`"]
    assert any("through the local action `./.github/actions/codex-review`" in n for n in wrapper.notes)
    tools = by_path["tools/triage/action.yml"]
    assert tools.status == "patched" and tools.callers == [".github/workflows/triage.yml: job `triage`"]
    assert ".github/actions/setup/action.yml" not in by_path
    assert review.to_json()["callers"] == review.callers and review.to_json()["kind"] == "action"
    workflow = by_path[".github/workflows/review.yml"]
    assert set(workflow.jobs) == {"review", "wrapped"}
    assert any("./.github/actions/codex-review" in a for a in workflow.jobs["review"])


def test_steps_inside_the_action_are_hardened(patched, tmp_path: Path) -> None:
    _, repo, _ = patched
    steps = read(repo, ".github/actions/codex-review/action.yml")["runs"]["steps"]
    names = [s.get("name") for s in steps]
    assert names == [
        "Build the prompt",
        PREFLIGHT_STEP_NAME,
        PREPARE_STEP_NAME,
        "Run Codex",
        CONTRACT_STEP_NAME,
        "Show the review",
    ]
    codex = steps[3]
    assert codex["continue-on-error"] is True
    assert codex["env"]["CODEX_HOME"] == "${{ runner.temp }}/codex-home"
    assert codex["if"] == "steps.codex-preflight.outcome == 'success'"
    for step in steps:
        if "run" in step:
            assert step["shell"] == "bash", "a composite run step needs its shell"
    assert steps[1]["env"]["CODEX_KIT_API_KEY"] == "${{ inputs.openai-api-key }}"
    assert steps[4]["env"]["CODEX_KIT_OUTPUT_FILE"] == "review.md"
    sim = JobSim(tmp_path)
    sim.record("codex-preflight", "failure", {"reason": "missing-key"})
    assert not condition(codex["if"], sim.context()) and condition(steps[4]["if"], sim.context())
    sim.record("codex-preflight", "success", {"reason": "ok"})
    sim.record("codex", "success", {"final-message": "fine"})
    (sim.workspace / "review.md").write_text("fine")
    assert condition(codex["if"], sim.context()) is True
    assert condition(steps[4]["if"], sim.context()) is False, "nothing to report"


def test_every_caller_job_gets_the_fork_guard_once(patched, tmp_path: Path) -> None:
    original, repo, _ = patched
    jobs = read(repo, ".github/workflows/review.yml")["jobs"]
    assert jobs["review"]["if"] == f"${{{{ {FORK_GUARD} }}}}"
    assert jobs["wrapped"]["if"] == f"(github.actor != 'bot') && ({FORK_GUARD})"
    assert "if" not in jobs["build"]
    assert "if" in read(repo, ".github/workflows/triage.yml")["jobs"]["triage"]
    for event in EVENTS:
        ctx = JobSim(tmp_path / "sim", event=event).context()
        assert condition(jobs["review"]["if"], ctx) is (event not in FORK_EVENTS), event
    for rel in (".github/actions/setup/action.yml",):
        assert (repo / rel).read_text() == (original / rel).read_text()


def test_second_run_changes_nothing(patched) -> None:
    _, repo, _ = patched
    before = {rel: (repo / rel).read_bytes() for rel in FILES}
    again = patch_repo(repo)
    assert all(f.status == "unchanged" for f in again.files), [(f.path, f.status, f.error) for f in again.files]
    assert before == {rel: (repo / rel).read_bytes() for rel in FILES}


def test_linters_find_nothing_new(patched) -> None:
    original, repo, _ = patched
    actions = [rel for rel in FILES if "/workflows/" not in rel]
    assert not lint.schema_failures([repo / rel for rel in FILES if "/workflows/" in rel])
    assert not _action_schema_failures([repo / rel for rel in actions])
    workflows = sorted((repo / ".github" / "workflows").iterdir())
    before = lint.actionlint(sorted((original / ".github" / "workflows").iterdir()))
    assert lint.actionlint(workflows) - before == {}
    assert lint.zizmor(repo) - lint.zizmor(original) == {}


def _action_schema_failures(files: list[Path]) -> set[str]:
    import json
    import subprocess

    proc = subprocess.run(
        [lint.tool("check-jsonschema"), "--builtin-schema", "vendor.github-actions", "-o", "json", *map(str, files)],
        capture_output=True,
        text=True,
        check=False,
    )
    report = json.loads(proc.stdout)
    return {e["filename"] for e in report.get("errors", []) + report.get("parse_errors", [])}


def test_a_repo_whose_only_codex_is_a_composite_action_is_hardened(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path,
        {".github/actions/codex-review/action.yml": REVIEW_ACTION, ".github/workflows/review.yml": REVIEW_WORKFLOW},
    )
    shutil.rmtree(repo / ".github" / "actions" / "wrapper", ignore_errors=True)
    result = patch_repo(repo)
    assert {f.path: (f.kind, f.status) for f in result.files} == {
        ".github/workflows/review.yml": ("workflow", "patched"),
        ".github/actions/codex-review/action.yml": ("action", "patched"),
    }


REMOTE = text(
    """
    on: [pull_request]
    jobs:
      review:
        uses: someorg/ci-tools/.github/workflows/codex-review.yml@0123456789abcdef0123456789abcdef01234567
        secrets: inherit
      triage:
        runs-on: ubuntu-latest
        steps:
          - name: Triage
            uses: someorg/codex-triage@v2
    """
)


def test_remote_codex_gets_a_note_naming_where_to_harden(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, {".github/workflows/remote.yml": REMOTE})
    (result,) = patch_repo(repo).files
    assert result.status == "unchanged" and (repo / ".github/workflows/remote.yml").read_text() == REMOTE
    assert "the hardening must happen in someorg/ci-tools" in result.notes[0]
    assert "`Triage` uses `someorg/codex-triage@v2`, an action in someorg/codex-triage" in result.notes[1]


@pytest.mark.parametrize(
    ("broken", "reason"),
    [
        (REVIEW_ACTION.replace("  using: composite\n", "  using: composite\n  using: composite\n"), "duplicate key"),
        (REVIEW_ACTION.replace("    - name: Build the prompt\n", "    - name: [Build\n"), "cannot read safely"),
    ],
    ids=["duplicate key", "not YAML"],
)
def test_an_action_that_cannot_be_read_is_refused_with_its_reason(tmp_path: Path, broken: str, reason: str) -> None:
    repo = make_repo(
        tmp_path,
        {".github/actions/codex-review/action.yml": broken, ".github/workflows/review.yml": REVIEW_WORKFLOW},
    )
    result = patch_repo(repo)
    (action,) = result.actions
    assert action.status == "refused" and reason in str(action.error)
    assert (repo / ".github/actions/codex-review/action.yml").read_text() == broken
