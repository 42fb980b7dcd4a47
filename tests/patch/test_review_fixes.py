"""Regressions found in review: an unreadable condition, one-line shell ifs, escaped same-repo checks,
steps whose status function the user already chose."""

from __future__ import annotations

from pathlib import Path

from kit.patch.conditions import naive_same_repo_check
from kit.patch.outputcheck import review_script
from kit.patch.repo import patch_repo

CODEX_JOB = """\
on: [push, pull_request]
jobs:
  review:
    if: {condition}
    runs-on: ubuntu-latest
    steps:
      - uses: openai/codex-action@v1
        with:
          openai-api-key: ${{{{ secrets.OPENAI_API_KEY }}}}
          prompt: Review.
          output-file: review.md
      - uses: actions/upload-artifact@v4
        if: ${{{{ !cancelled() }}}}
        with:
          name: review
          path: review.md
"""


def test_an_unreadable_condition_refuses_its_file_and_the_others_are_still_patched(tmp_path: Path) -> None:
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "a.yml").write_text(CODEX_JOB.format(condition="github.event_name == 'push' &&"))
    (workflows / "b.yml").write_text(CODEX_JOB.format(condition="github.event_name == 'push'"))
    result = patch_repo(tmp_path, write=False)
    by_path = {f.path: f for f in result.files}
    assert by_path[".github/workflows/a.yml"].status == "refused"
    assert "not an expression the kit can read" in by_path[".github/workflows/a.yml"].error
    assert by_path[".github/workflows/b.yml"].status == "patched"


def test_a_step_with_its_own_status_function_is_left_alone(tmp_path: Path) -> None:
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "b.yml").write_text(CODEX_JOB.format(condition="github.event_name == 'push'"))
    patch_repo(tmp_path)
    assert "if: ${{ !cancelled() }}\n" in (workflows / "b.yml").read_text()


def test_a_one_line_if_closes_where_it_opens() -> None:
    script = (
        'if [ ! -s review.md ]; then echo "::error::no review"; exit 1; fi\n'
        "npm test || exit 1\n"
        'if [ "$FAILED" = 1 ]; then echo "::error::tests failed"; exit 1; fi'
    )
    softened = review_script(script, "review.md").text.split("\n")
    assert softened[0] == 'if [ ! -s review.md ]; then echo "::warning::no review"; exit 0; fi'
    assert softened[1:] == script.split("\n")[1:], "unrelated failures still fail"


def test_a_same_repo_check_under_an_or_is_not_naive() -> None:
    compare = "github.event.pull_request.head.repo.full_name == github.repository"
    assert naive_same_repo_check(compare)
    assert naive_same_repo_check(f"github.actor != 'bot' && {compare}")
    assert not naive_same_repo_check(f"github.event_name == 'push' || {compare}")
    assert not naive_same_repo_check(f"!github.event.pull_request || {compare}")
