"""What an existing `if:` already does, read with the expression parser rather than by substring.

The planner asks three questions of a user's condition: is a guard already one of its `&&`
conjuncts, does it call `always()`, and does it compare the PR head's repository with
`github.repository` without a no-PR escape. Asking them of the parsed expression means spacing,
parentheses, quoting and the case of context names do not matter, and text inside a string
literal is never mistaken for code. Conditions are given with or without their `${{ }}` wrapper.
"""

from __future__ import annotations

from typing import Any

from kit.patch import expressions as ex

Ast = tuple
HEAD_REPO = ("github", "event", "pull_request", "head", "repo", "full_name")
REPOSITORY = ("github", "repository")


def condition_text(value: Any) -> str:
    """An `if:` value as text (YAML may have read `true` or `false` as a boolean)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def read(condition: Any) -> Ast:
    """The parsed expression of an `if:` value (context and property names folded to lower case)."""
    return _fold(ex.checked(ex.unwrap(condition_text(condition))))


def conjuncts(node: Ast) -> list[Ast]:
    """The operands of a top-level `a && b && c` chain (the node itself when it is no such chain)."""
    if node[0] == "op" and node[1] == "&&":
        return conjuncts(node[2]) + conjuncts(node[3])
    return [node]


def has_conjunct(condition: Any, part: str) -> bool:
    """True when `part` is already required by `condition`: one of its top-level `&&` operands."""
    return read(part) in conjuncts(read(condition))


def calls(condition: Any, function: str) -> bool:
    """True when `condition` calls `function` (e.g. `always`) anywhere."""
    return any(node[0] == "call" and node[1] == function.lower() for node in walk(read(condition)))


def naive_same_repo_check(condition: Any) -> bool:
    """True when the condition *requires* the PR head's repository to equal `github.repository` (a
    top-level `&&` operand), which is false on every run that is not a pull request. Under an `||`
    (`!github.event.pull_request || …`, `github.event_name == 'push' || …`) it has an escape."""
    return any(
        node[0] == "op" and node[1] == "==" and {path_of(node[2]), path_of(node[3])} == {HEAD_REPO, REPOSITORY}
        for node in conjuncts(read(condition))
    )


def path_of(node: Ast) -> tuple[str, ...] | None:
    """`github.event.x` as ("github", "event", "x"); None for anything that is not a property path."""
    if node[0] == "ctx":
        return (node[1],)
    if node[0] == "get" and node[2][0] == "lit" and isinstance(node[2][1], str):
        head = path_of(node[1])
        return None if head is None else (*head, node[2][1])
    return None


def walk(node: Ast) -> list[Ast]:
    found = [node]
    for child in node[1:]:
        if isinstance(child, tuple):
            found += walk(child)
        elif isinstance(child, list):
            for item in child:
                found += walk(item)
    return found


def _fold(node: Ast) -> Ast:
    """Context and property names compare case-insensitively in GitHub; make them lower case."""
    kind = node[0]
    if kind == "ctx":
        return ("ctx", node[1].lower())
    if kind == "get" and node[2][0] == "lit" and isinstance(node[2][1], str):
        return ("get", _fold(node[1]), ("lit", node[2][1].lower()))
    if kind == "lit":
        return node
    return tuple(
        _fold(c) if isinstance(c, tuple) else [_fold(a) for a in c] if isinstance(c, list) else c for c in node
    )
