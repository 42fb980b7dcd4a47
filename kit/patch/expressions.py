"""GitHub expression text: unwrap, compare, and write as a YAML scalar that reads back unchanged.

An `if:` is an expression with or without a `${{ }}` wrapper. When the editor combines two
conditions as `(old) && (new)`, the first one's status functions (`always()`, `!cancelled()`…) keep
their meaning; it must never produce `${{ a }} && ${{ b }}`, which GitHub reads as an always-true
string, so text mixed with `${{ }}` is refused here. What a condition *does* is read by
`kit.patch.conditions`, with the expression parser.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache

from yaml.error import YAMLError

from kit.patch import yamlread
from kit.patch.ghexpr import ExpressionError, parse
from kit.patch.yamldoc import UnsafeDocument

_WRAPPED = re.compile(r"^\$\{\{(?P<inner>.*)\}\}$", re.DOTALL)


def unwrap(value: str) -> str:
    """The bare expression of an `if:` value; refuses text mixed with `${{ }}` (never a plain expression)."""
    stripped = value.strip()
    match = _WRAPPED.match(stripped)
    if match and "${{" not in match.group("inner") and "}}" not in match.group("inner"):
        return match.group("inner").strip()
    if "${{" in stripped:
        raise UnsafeDocument(
            f"condition {stripped!r} mixes text with ${{{{ }}}}; GitHub reads it as an always-true "
            "string, so the kit will not combine it with a guard (fix the condition first)"
        )
    return stripped


def normalise(value: str) -> str:
    """Comparable form of a condition: no wrapper, whitespace folded."""
    return " ".join(unwrap(str(value)).split())


def yaml_scalar(value: str, flow: bool = False) -> str:
    """Text for a one-line YAML scalar that reads back as exactly `value`: plain when safe, else quoted.

    `flow` asks for a scalar that is also safe inside `{…}`, where `{`, `}` and `,` end a plain scalar.
    """
    if _reads_back(value, value, flow):
        return value
    quoted = json.dumps(value, ensure_ascii=False)
    if not _reads_back(quoted, value, flow):
        raise UnsafeDocument(f"cannot write {value!r} as a YAML scalar")
    return quoted


def condition_scalar(expression: str) -> str:
    """A one-line `if:` value for the bare `expression` (which may span lines), re-parsed and checked;
    wrapped in `${{ }}` only when YAML needs it (a leading `!`)."""
    expression = one_line(expression)
    text = f"${{{{ {expression} }}}}" if expression.startswith("!") else expression
    return yaml_scalar(text)


@lru_cache(maxsize=4096)  # the same few values (ids, env names, conditions) recur in every Codex job
def _reads_back(text: str, expected: str, flow: bool = False) -> bool:
    if "\n" in text:
        return False
    try:
        loaded = yamlread.load(f"{{k: {text}}}\n" if flow else f"k: {text}\n")
    except YAMLError:
        return False
    return isinstance(loaded, dict) and loaded.get("k") == expected and isinstance(loaded["k"], str)


def one_line(expression: str) -> str:
    """The expression's own text on one line: every run of whitespace outside a string literal becomes
    one space (a block or folded `if:` spans lines; a one-line scalar cannot). Re-parsed and compared
    with the original, so the result is the same expression or the file is refused."""
    out: list[str] = []
    quoted = False
    for char in expression.strip():
        if char == "'":
            quoted = not quoted  # '' inside a literal toggles twice: still inside
        if not quoted and char.isspace():
            if out and out[-1] != " ":
                out.append(" ")
            continue
        out.append(char)
    text = "".join(out)
    if checked(text) != checked(expression):
        raise UnsafeDocument(f"condition {expression!r} could not be written on one line unchanged")
    return text


def checked(expression: str) -> tuple:
    """The parsed form of a bare expression; a condition GitHub could not read is refused."""
    try:
        return parse(expression.strip())
    except ExpressionError as err:
        raise UnsafeDocument(f"condition {expression.strip()!r} is not an expression the kit can read: {err}") from err
