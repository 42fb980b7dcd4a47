"""Split a call's argument list in source text, aware of strings, comments and nesting.

The DB-test rewrite changes one argument or one operator inside an assertion call and must leave
every other character alone, so it works on spans of the original text, never on a re-printed call.
"""

from __future__ import annotations

from dataclasses import dataclass

OPEN = "([{"
CLOSE = ")]}"


@dataclass(frozen=True)
class Syntax:
    """How a language writes strings and line comments."""

    quotes: str
    line_comment: str
    sql_strings: bool = False


SQL = Syntax("'\"", "--", sql_strings=True)
PYTHON = Syntax("'\"", "#")
GO = Syntax("\"`'", "//")


@dataclass(frozen=True)
class Args:
    """Arguments of the call whose `(` is at `open_at`: each as a (start, end) span of the text."""

    open_at: int
    close_at: int
    spans: list[tuple[int, int]]

    def text(self, source: str, index: int) -> str:
        start, end = self.spans[index]
        return source[start:end]


def split_args(source: str, open_at: int, syntax: Syntax) -> Args | None:
    """Arguments of the call opening at `open_at` (a `(`); None when the call is not closed."""
    depth, index, start = 0, open_at + 1, open_at + 1
    spans: list[tuple[int, int]] = []
    while index < len(source):
        char = source[index]
        if char in syntax.quotes:
            index = skip_string(source, index, syntax)
            continue
        if source.startswith(syntax.line_comment, index):
            newline = source.find("\n", index)
            index = len(source) if newline < 0 else newline
            continue
        if char in OPEN:
            depth += 1
        elif char in CLOSE:
            if depth == 0:
                if source[start:index].strip() or spans:
                    spans.append((start, index))
                return Args(open_at, index, spans)
            depth -= 1
        elif char == "," and depth == 0:
            spans.append((start, index))
            start = index + 1
        index += 1
    return None


def matching_open(source: str, close_at: int) -> int | None:
    """Index of the `(` that the `)` at `close_at` closes, scanning back over nested parentheses."""
    depth = 0
    for index in range(close_at, -1, -1):
        if source[index] == ")":
            depth += 1
        elif source[index] == "(":
            depth -= 1
            if depth == 0:
                return index
    return None


def skip_string(source: str, index: int, syntax: Syntax) -> int:
    """Index just past the string literal that starts at `index`."""
    quote = source[index]
    index += 1
    while index < len(source):
        char = source[index]
        if char == "\\" and not syntax.sql_strings:
            index += 2
            continue
        if char == quote:
            if syntax.sql_strings and source.startswith(quote * 2, index):
                index += 2
                continue
            return index + 1
        index += 1
    return index
