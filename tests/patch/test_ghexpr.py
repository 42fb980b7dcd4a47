"""The expression evaluator against GitHub's documented rules."""

from __future__ import annotations

import pytest

from kit.patch.ghexpr import Context, ExpressionError, Status, condition, evaluate, interpolate

CTX = Context(
    {
        "github": {"event_name": "push", "repository": "Octo/Repo", "event": {"ref": "refs/heads/main"}},
        "steps": {"codex-preflight": {"outcome": "failure", "outputs": {"reason": "missing-key"}}},
        "matrix": {"os": ["a", "b"]},
    }
)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("null", None),
        ("0x10 == 16", True),
        ("'It''s'", "It's"),
        ("github.repository == 'octo/repo'", True),
        ("github.event.pull_request", None),
        ("!github.event.pull_request", True),
        ("github.event.pull_request.head.repo.full_name == github.repository", False),
        ("steps.codex-preflight.outcome", "failure"),
        ("steps['codex-preflight'].outputs.reason", "missing-key"),
        ("'' || 'fallback'", "fallback"),
        ("'x' && 0", 0),
        ("1 == '1'", True),
        ("null == 0", True),
        ("true == 1", True),
        ("'abc' == 0", False),
        ("'' == 0", True),
        ("2 > '10'", False),
        ("'b' > 'A'", True),
        ("contains(matrix.os, 'B')", True),
        ("contains('Hello', 'ell')", True),
        ("startsWith(github.event.ref, 'refs/heads/')", True),
        ("format('{0}/{1}', 'a', 2)", "a/2"),
        ("fromJSON('{\"a\": [1]}').a[0]", 1),
        ("join(matrix.os, '+')", "a+b"),
        ("matrix.*", [["a", "b"]]),
    ],
)
def test_values(expression: str, expected) -> None:
    assert evaluate(expression, CTX) == expected


def test_implicit_success_and_status_functions() -> None:
    failed = Context(CTX.values, Status(failed=True))
    cancelled = Context(CTX.values, Status(cancelled=True))
    assert condition("github.event_name == 'push'", CTX)
    assert not condition("github.event_name == 'push'", failed)
    assert condition("${{ always() && github.event_name == 'push' }}", failed)
    assert condition("${{ !cancelled() }}", failed) and not condition("${{ !cancelled() }}", cancelled)
    assert condition("failure()", failed) and not condition("failure()", CTX)
    assert condition(None, CTX) and not condition(None, failed)


def test_interpolation_and_errors() -> None:
    assert interpolate("${{ github.repository }}/x-${{ github.event.nothing }}", CTX) == "Octo/Repo/x-"
    with pytest.raises(ExpressionError):
        evaluate("github.event ==", CTX)
    with pytest.raises(ExpressionError):
        evaluate("nosuchfunction()", CTX)
