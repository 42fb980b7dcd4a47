"""What the planner reads out of a user's condition, with the expression parser."""

from __future__ import annotations

import pytest

from kit.patch.conditions import calls, has_conjunct, naive_same_repo_check
from kit.patch.transforms import FORK_GUARD, TRANSFORMS
from kit.patch.yamldoc import UnsafeDocument

GATE = "steps.codex-preflight.outcome == 'success'"


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (FORK_GUARD, True),
        (f"${{{{ {FORK_GUARD} }}}}", True),
        (f"(github.actor != 'bot') && ({FORK_GUARD})", True),
        ("always() && (\n  " + FORK_GUARD.replace(" || ", "\n  || ") + "\n)", True),
        ("!GitHub.Event.Pull_Request || github.event.pull_request.head.repo.full_name == github.repository", True),
        (f"github.actor == 'me' || ({FORK_GUARD})", False),
        ("contains('" + FORK_GUARD + "', github.actor)", False),
        ("github.event.pull_request.head.repo.full_name == github.repository", False),
    ],
    ids=["bare", "wrapped", "conjunct", "multi-line", "case", "disjunct", "in-a-string", "naive"],
)
def test_fork_guard_is_found_only_as_a_conjunct(condition: str, expected: bool) -> None:
    assert has_conjunct(condition, FORK_GUARD) is expected


def test_gate_is_found_as_a_conjunct() -> None:
    assert has_conjunct(f"github.event_name == 'push' && {GATE}", GATE)
    assert not has_conjunct(f"github.event_name == 'push' || {GATE}", GATE)


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("always()", True),
        ("${{ Always() && github.event_name == 'push' }}", True),
        ("!cancelled()", False),
        ("contains(github.event.comment.body, 'always()')", False),
        (True, False),
    ],
)
def test_always_is_a_call_not_a_substring(condition: str | bool, expected: bool) -> None:
    assert calls(condition, "always") is expected


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("github.event.pull_request.head.repo.full_name == github.repository", True),
        ("github.repository == github.event.pull_request.head.repo.full_name && github.actor != 'x'", True),
        (FORK_GUARD, False),
        ("github.event.pull_request.head.repo.full_name != github.repository", False),
        ("github.event_name == 'push'", False),
    ],
)
def test_naive_same_repo_check(condition: str, expected: bool) -> None:
    assert naive_same_repo_check(condition) is expected


def test_mixed_text_and_expression_is_refused() -> None:
    with pytest.raises(UnsafeDocument, match="mixes text"):
        has_conjunct("${{ a }} && ${{ b }}", FORK_GUARD)


def test_every_transform_is_named_and_documented() -> None:
    names = [t.name for t in TRANSFORMS]
    assert len(set(names)) == len(names)
    for transform in TRANSFORMS:
        assert transform.apply.__doc__, transform.name
