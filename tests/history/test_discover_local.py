"""Discovery follows a workflow's local actions and reusable workflows: a repository that runs Codex through
`uses: ./…` is a Codex repository, and the workflow it finds is the caller, whose runs hold the Codex jobs."""

from __future__ import annotations

from kit.history.discover import discover, local_uses
from tests.support.fake_github import FakeGitHub
from tests.support.team import CODEX_WORKFLOW, PLAIN_WORKFLOW

COMPOSITE = """name: review
runs:
  using: composite
  steps:
    - uses: openai/codex-action@v1
      with:
        prompt: review
"""
NOT_CODEX_ACTION = "name: lint\nruns:\n  using: composite\n  steps:\n    - run: make lint\n      shell: bash\n"


def _caller(uses: str, at: str = "step") -> str:
    if at == "job":
        return f"name: caller\non: pull_request\njobs:\n  review:\n    uses: {uses}\n    secrets: inherit\n"
    return (
        "name: caller\non: pull_request\njobs:\n  review:\n    runs-on: ubuntu-latest\n    steps:\n"
        f"      - uses: actions/checkout@v5\n      - name: Codex review\n        uses: {uses}\n"
    )


def test_codex_through_a_local_action_or_a_reusable_workflow_is_found() -> None:
    layouts = {
        "acme/composite": {  # action.yaml, not action.yml: the second name is asked for too
            ".github/workflows/review.yml": _caller("./.github/actions/review"),
            ".github/actions/review/action.yaml": COMPOSITE,
            ".github/workflows/ci.yml": PLAIN_WORKFLOW,
        },
        "acme/nested": {  # a local action that uses another one
            ".github/workflows/review.yml": _caller("./.github/actions/outer/"),
            ".github/actions/outer/action.yml": COMPOSITE.replace("openai/codex-action@v1", "./.github/actions/inner"),
            ".github/actions/inner/action.yml": COMPOSITE,
        },
        "acme/reusable": {  # a job that calls a local reusable workflow: the caller is found, and the callee
            ".github/workflows/pr.yml": _caller("./.github/workflows/codex.yml", at="job"),
            ".github/workflows/codex.yml": CODEX_WORKFLOW.replace("on: [push, pull_request]", "on: workflow_call"),
        },
        "acme/plain": {  # local actions that do not run Codex, one missing, one looping back to itself
            ".github/workflows/ci.yml": _caller("./.github/actions/lint"),
            ".github/workflows/other.yml": _caller("./.github/actions/gone"),
            ".github/workflows/loop.yml": _caller("./.github/actions/loop"),
            ".github/actions/lint/action.yml": NOT_CODEX_ACTION,
            ".github/actions/loop/action.yml": COMPOSITE.replace("openai/codex-action@v1", "./.github/actions/loop"),
        },
        "acme/outside": {  # a path that climbs out of the repository is never followed
            ".github/workflows/review.yml": _caller("./../elsewhere/actions/review"),
        },
    }
    with FakeGitHub("acme/composite") as fake:
        for repo, files in layouts.items():
            (fake if repo == "acme/composite" else fake.add_repo(repo)).listing.set_files(files)
        first = discover(list(layouts), api_url=fake.url)
        asked = [r.path for r in fake.requests]
        before = fake.counted()
        older = {"file|acme/plain|.github/workflows/ci.yml": ['"x"', False]}  # what an older codex-kit kept
        again = discover(list(layouts), api_url=fake.url, etags={**first.etags, **older})
        second = fake.counted() - before
    found = {f.repo: f.workflows for f in first.repos}
    assert found == {
        "acme/composite": ["review.yml"],
        "acme/nested": ["review.yml"],
        "acme/reusable": ["codex.yml", "pr.yml"],
        "acme/plain": [],
        "acme/outside": [],
    }
    assert not [f for f in first.repos if f.problem], "a missing local action is not a problem of the repository"
    assert not any("elsewhere" in path for path in asked)
    # Unchanged files answer 304 the second time, with what they said kept: the same finding, at no cost.
    assert {f.repo: f.workflows for f in again.repos} == found
    assert not [key for key in again.etags if key.startswith("file|")]  # an older summary is not carried on
    # A file that is not there has no ETag to ask with again: composite's action.yml and plain's two "gone" files.
    missing = [p for p in asked if p.endswith(("/review/action.yml", "/gone/action.yml", "/gone/action.yaml"))]
    assert len(missing) == 3 and second == 3, (second, asked)


def test_local_uses_names_the_files_a_local_reference_leads_to() -> None:
    text = (
        "      - uses: ./.github/actions/review\n"
        "      - uses: './tools/check/'  # a comment\n"
        "    uses: ./.github/workflows/codex.yml\n"
        "      - uses: ./../outside\n"
        "      - uses: ./\n"
        "      - uses: actions/checkout@v5\n"
        "      # - uses: ./.github/actions/commented\n"
    )
    assert local_uses(text) == [
        ".github/actions/review/action.yml", ".github/actions/review/action.yaml",
        "tools/check/action.yml", "tools/check/action.yaml",
        ".github/workflows/codex.yml",
        "action.yml", "action.yaml",
    ]  # fmt: skip
