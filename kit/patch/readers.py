"""Which steps read a Codex step's results: its `final-message`, its output file, its outcome.

Readers are found in the parsed expressions of each later step's `if:` and of every `${{ }}` in its
`env:`, `with:` and `run:`, so the dot form (`steps.codex.outputs.final-message`) and the bracket
forms (`steps.codex.outputs['final-message']`, `steps['run-codex'].outcome`) are the same read.
The output file is found by name in the step's text. Nothing here edits; the transforms decide.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from kit.patch import expressions as ex
from kit.patch.conditions import calls, condition_text, path_of, read, walk
from kit.patch.ghexpr import ExpressionError
from kit.patch.yamldoc import UnsafeDocument

_TEMPLATE = re.compile(r"\$\{\{(.*?)\}\}", re.DOTALL)


@dataclass(frozen=True)
class Reader:
    """Step `index` reads `what` of the Codex step (`final-message`, `outcome`, `conclusion`, `output-file`)."""

    index: int
    what: str
    label: str


def expressions_in(step: dict[str, Any]) -> list[str]:
    """The step's `if:` (with or without its wrapper) and every `${{ }}` expression in its other values."""
    found = [condition_text(step["if"])] if "if" in step else []
    others = _strings({k: v for k, v in step.items() if k != "if"})
    return found + [m.group(1) for value in others for m in _TEMPLATE.finditer(value)]


def readers(steps: list[Any], codex_index: int, step_id: str, output_file: str | None) -> list[Reader]:
    """The later steps that read the Codex step's results, one entry per (step, what)."""
    found: list[Reader] = []
    sid = step_id.lower()
    for index in range(codex_index + 1, len(steps)):
        step = steps[index]
        if not isinstance(step, dict):
            continue
        label = str(step.get("name") or step.get("id") or step.get("uses") or f"step {index + 1}")
        kinds = set()
        for expression in expressions_in(step):
            kinds |= _results_read(expression, sid)
        if output_file and any(output_file in text for text in _strings(step)):
            kinds.add("output-file")
        found += [Reader(index, what, label) for what in sorted(kinds)]
    return found


def runs_on_failure(step: dict[str, Any]) -> bool:
    """True when the step's `if:` calls `failure()`: a Codex failure under continue-on-error never fires it."""
    if "if" not in step:
        return False
    try:
        return calls(step["if"], "failure")
    except (ExpressionError, UnsafeDocument):
        return False


def _results_read(expression: str, sid: str) -> set[str]:
    try:
        tree = read(ex.unwrap(expression))
    except (ExpressionError, UnsafeDocument):
        return set()  # not an expression the kit can read: it is not counted as a reader
    kinds = set()
    for node in walk(tree):
        path = path_of(node)
        if path and len(path) >= 3 and path[0] == "steps" and path[1] == sid:
            if path[2] in ("outcome", "conclusion"):
                kinds.add(path[2])
            elif path[2] == "outputs" and len(path) >= 4 and path[3] == "final-message":
                kinds.add("final-message")
    return kinds


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []
