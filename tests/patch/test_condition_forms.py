"""Conditions the patch composes stay expressions, whatever form the Codex step's `if:` had.

Single-line, `${{ }}`-wrapped, literal-block (`|`) and folded (`>`, `>-`) conditions on a Codex step
are copied into the preflight (and combined on the Codex step) as the same expression: actionlint
finds nothing new, and the evaluator gives the copied and the original condition the same value
for every kind of run.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kit.patch import yamlread
from kit.patch.expressions import one_line
from kit.patch.ghexpr import condition
from kit.patch.workflow import patch_workflow
from kit.patch.yamldoc import UnsafeDocument
from kit.vocabulary import PREFLIGHT_STEP_NAME
from tests.steps.harness import EVENTS, JobSim
from tests.support import lint

HEAD = """\
name: Review
on:
  pull_request:
  push:
jobs:
  review:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - name: Run Codex
        id: codex
        uses: openai/codex-action@v1
"""
TAIL = """\
        with:
          openai-api-key: ${{ secrets.OPENAI_API_KEY }}
          prompt: Review this change.
"""
FORMS = {
    "single line": "        if: github.event_name == 'pull_request' && github.actor != 'bot'\n",
    "wrapped": "        if: ${{ github.event_name == 'push' || github.actor == 'dev' }}\n",
    "literal block": (
        "        if: |\n          github.event_name == 'pull_request' &&\n"
        "          contains(github.event.pull_request.user.login, 'de  v') == false\n"
    ),
    "wrapped literal block": (
        "        if: |\n          ${{ github.event_name == 'push' ||\n          github.actor == 'dev' }}\n"
    ),
    "folded": "        if: >\n          github.event_name != 'schedule'\n          && github.actor == 'dev'\n",
    "folded strip": (
        "        if: >-\n          !cancelled() &&\n          (github.event_name == 'push' ||\n"
        "           github.event_name == 'pull_request')\n"
    ),
}


def workflow(form: str) -> str:
    return HEAD + FORMS[form] + TAIL


@pytest.mark.parametrize("form", list(FORMS))
def test_copied_condition_is_the_same_expression(form: str, tmp_path: Path) -> None:
    text = workflow(form)
    patched = patch_workflow(text).text
    assert patch_workflow(patched).text == patched, "a second run must change nothing"
    original = yamlread.load(text)["jobs"]["review"]["steps"][1]["if"]
    steps = yamlread.load(patched)["jobs"]["review"]["steps"]
    (preflight,) = [s for s in steps if s.get("name") == PREFLIGHT_STEP_NAME]
    codex = next(s for s in steps if str(s.get("uses", "")).startswith("openai/codex-action"))
    assert "\n" not in preflight["if"]
    for event in EVENTS:
        sim = JobSim(tmp_path / event)
        ctx = sim.context()
        assert condition(preflight["if"], ctx) == condition(original, ctx), (form, event)
        sim.record("codex-preflight", "success")
        assert condition(codex["if"], sim.context()) == condition(original, sim.context()), (form, event)
        sim.record("codex-preflight", "failure")
        assert condition(codex["if"], sim.context()) is False


def test_actionlint_finds_nothing_new_in_any_form(tmp_path: Path) -> None:
    before, after = tmp_path / "before", tmp_path / "after"
    before.mkdir()
    after.mkdir()
    for number, form in enumerate(FORMS):
        text = workflow(form)
        (before / f"form{number}.yml").write_text(text)
        (after / f"form{number}.yml").write_text(patch_workflow(text).text)
    found_before = lint.actionlint(sorted(before.iterdir()))
    found_after = lint.actionlint(sorted(after.iterdir()))
    assert found_after - found_before == {}, found_after


def test_one_line_keeps_string_literals() -> None:
    assert one_line("a == 'x  \n y' &&\n   b") == "a == 'x  \n y' && b"
    assert one_line("a == 'it''s'\n|| b") == "a == 'it''s' || b"


def test_an_unreadable_condition_is_refused() -> None:
    text = HEAD + "        if: |\n          github.actor == 'dev' &&\n          (\n" + TAIL
    with pytest.raises(UnsafeDocument, match="not an expression the kit can read"):
        patch_workflow(text)
