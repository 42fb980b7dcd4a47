"""Only a missing-output gate is softened; a gate on what Codex's output says is left, with a note.

Each script is a step after a Codex step with `output-file: review.md` (or a path under
`${{ runner.temp }}`). The softened cases must end with the job passing when the file is missing;
the content cases must come out byte-for-byte as they went in, and be named in a note. Both are
also run through bash to show the softened text still means what the kit says.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from kit.patch.outputcheck import review_script
from kit.patch.repo import patch_repo
from kit.patch.workflow import patch_workflow

# (script, softened script): the file-missing gates, in the forms real workflows write them.
SOFTENED = {
    "one-line-if": (
        'if [ ! -s review.md ]; then echo "::error::no review"; exit 1; fi',
        'if [ ! -s review.md ]; then echo "::warning::no review"; exit 0; fi',
    ),
    "block-if": (
        'if [ ! -f "$RUNNER_TEMP/review.md" ]; then\n  echo "::error::no output"\n  exit 1\nfi\ncat review.md',
        'if [ ! -f "$RUNNER_TEMP/review.md" ]; then\n  echo "::warning::no output"\n  exit 0\nfi\ncat review.md',
    ),
    "double-bracket": ("if [[ ! -e review.md ]]; then exit 2; fi", "if [[ ! -e review.md ]]; then exit 0; fi"),
    "negated-test": ("if ! test -s review.md; then exit 1; fi", "if ! test -s review.md; then exit 0; fi"),
    "or-exit": ("[ -s review.md ] || exit 1", "[ -s review.md ] || exit 0"),
    "test-or-group": (
        'test -f review.md || { echo "::error::missing review"; exit 1; }',
        'test -f review.md || { echo "::warning::missing review"; exit 0; }',
    ),
    "and-exit-on-negation": ("[ ! -s review.md ] && exit 1", "[ ! -s review.md ] && exit 0"),
    "else-branch": (
        'if [ -s review.md ]; then\n  cat review.md\nelse\n  echo "::error::empty"\n  exit 1\nfi',
        'if [ -s review.md ]; then\n  cat review.md\nelse\n  echo "::warning::empty"\n  exit 0\nfi',
    ),
    "two-tests": (
        "if [ ! -f review.md ] || [ ! -s review.md ]; then\n  exit 1\nfi",
        "if [ ! -f review.md ] || [ ! -s review.md ]; then\n  exit 0\nfi",
    ),
    "through-a-variable": (
        'OUT=review.md\nif [ ! -s "$OUT" ]; then exit 1; fi',
        'OUT=review.md\nif [ ! -s "$OUT" ]; then exit 0; fi',
    ),
}

# Gates on the output's content: left exactly as written, and reported.
CONTENT = {
    "grep-and-exit": "grep -q BLOCKER review.md && exit 1",
    "if-grep": 'if grep -q "severity: high" review.md; then exit 1; fi',
    "jq-or-exit": "jq -e '.ok' review.md || exit 1",
    "test-cat-equals": 'test "$(cat review.md)" = LGTM || exit 1',
    "bracket-cat-differs": 'if [ "$(cat review.md)" != "LGTM" ]; then\n  echo "::error::changes asked"\n  exit 1\nfi',
    "case-on-a-value-read": (
        "EVENT=$(jq -r '.event' review.md)\n"
        'case "$EVENT" in\n  APPROVE) echo ok ;;\n  *) echo "::error::unsupported: $EVENT"; exit 1 ;;\nesac'
    ),
    "test-then-content": "[ -s review.md ] && grep -q BLOCKER review.md && exit 1",
    "existence-and-content": "if [ -f review.md ] && grep -q BLOCKER review.md; then\n  exit 1\nfi",
    "line-count": '[ "$(wc -l < review.md)" -gt 0 ] || exit 1',
    "while-read": "while read -r line; do\n  case $line in BLOCKER*) exit 1 ;; esac\ndone < review.md",
}

# Failures that have nothing to do with Codex's output: neither softened nor noted.
UNRELATED = {
    "tests": "npm test || exit 1",
    "other-file": 'if [ ! -f dist/app.js ]; then echo "::error::no build"; exit 1; fi',
    "flag": 'if [ "$FAILED" = 1 ]; then exit 1; fi',
    "heredoc": "cat <<EOF > notes.md\nif [ ! -s review.md ]; then exit 1; fi\nEOF\nexit 1",
    "comment": "# if [ ! -s review.md ]; then exit 1; fi\nmake check || exit 1",
    "quoted": "echo 'if [ ! -s review.md ]; then exit 1; fi'",
}


@pytest.mark.parametrize("case", sorted(SOFTENED))
def test_a_missing_output_gate_is_softened(case: str) -> None:
    script, expected = SOFTENED[case]
    review = review_script(script, "review.md")
    assert review.text == expected
    assert review.content_gates == []


@pytest.mark.parametrize("case", sorted(CONTENT))
def test_a_content_gate_is_left_as_is_and_named(case: str) -> None:
    script = CONTENT[case]
    review = review_script(script, "review.md")
    assert review.text == script, "not a byte changed"
    assert review.content_gates and all("exit 1" in line for line in review.content_gates)


@pytest.mark.parametrize("case", sorted(UNRELATED))
def test_an_unrelated_failure_is_neither_softened_nor_noted(case: str) -> None:
    review = review_script(UNRELATED[case], "review.md")
    assert review.text == UNRELATED[case] and review.content_gates == []


def test_a_runner_temp_output_is_matched_by_its_name() -> None:
    script = 'test -s "$RUNNER_TEMP/codex-final-message.txt" || exit 1'
    review = review_script(script, "${{ runner.temp }}/codex-final-message.txt")
    assert review.text.endswith("|| exit 0")


def test_a_script_the_reader_cannot_follow_is_left_alone() -> None:
    script = "if [ ! -s review.md ]; then exit 1\n# no fi: bash would refuse it too"
    assert review_script(script, "review.md").text == script


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is needed to run the scripts")
@pytest.mark.parametrize("case", sorted(SOFTENED))
def test_a_softened_script_passes_when_the_output_is_missing(case: str, tmp_path: Path) -> None:
    """What the kit claims, checked by bash: before, a missing output fails the step; after, it passes."""
    script, softened = SOFTENED[case]

    def status(text: str) -> int:
        env = {"PATH": "/usr/bin:/bin", "RUNNER_TEMP": str(tmp_path)}
        return subprocess.run(["bash", "-e", "-c", text], cwd=tmp_path, env=env, capture_output=True).returncode

    assert status(script) != 0
    assert status(softened) == 0


WORKFLOW = """\
on: pull_request
jobs:
  review:
    runs-on: ubuntu-latest
    steps:
      - uses: openai/codex-action@v1
        with:
          openai-api-key: ${{{{ secrets.OPENAI_API_KEY }}}}
          prompt: Review.
          output-file: review.md
      - name: Require a review
        run: |
{missing}
      - name: Block on findings
        run: |
{content}
"""


def _indent(script: str) -> str:
    return "\n".join("          " + line for line in script.split("\n"))


def test_in_a_workflow_the_missing_gate_is_softened_and_the_content_gate_noted() -> None:
    text = WORKFLOW.format(missing=_indent(SOFTENED["block-if"][0]), content=_indent(CONTENT["bracket-cat-differs"]))
    result = patch_workflow(text)
    (plan,) = result.jobs
    assert "`Require a review` warns instead of failing when Codex output is missing" in plan.actions
    assert any(
        note.startswith("step `Block on findings` can fail the job on the content of Codex's output")
        and "`exit 1`" in note
        and "left as is" in note
        for note in plan.notes
    )
    assert _indent(CONTENT["bracket-cat-differs"]) in result.text, "the content gate is byte-for-byte the same"
    assert _indent(SOFTENED["block-if"][1]) in result.text
    assert patch_workflow(result.text).changed is False


def test_the_corpus_content_gate_is_noted_and_nothing_there_is_softened(shared_dir: Path, tmp_path: Path) -> None:
    """In the real corpus no workflow has a missing-output gate (nothing was softened before either);
    the one that fails on the review's verdict (`case` on a value jq read from it) is named."""
    folder = tmp_path / ".github" / "workflows"
    folder.mkdir(parents=True)
    for source in sorted((shared_dir / "corpus" / "workflows").glob("*.y*ml")):
        shutil.copyfile(source, folder / source.name)
    result = patch_repo(tmp_path, write=False, diff=False)
    softened = [a for f in result.files for actions in f.jobs.values() for a in actions if "warns instead" in a]
    assert softened == []
    noted = {
        f.path.split("/")[-1]: note for f in result.files for note in f.notes if "content of Codex's output" in note
    }
    assert "ANcpLua__ancplua-claude-plugins__codex-code-review.yml" in noted
    print(f"\ncontent gates noted: {sorted(noted)}")
