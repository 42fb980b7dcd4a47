"""A small parser and evaluator of GitHub Actions expressions: what a condition does, per event.

The patch reads the user's conditions with the parser (`kit.patch.conditions`: is the fork guard
already a conjunct, does a step call `always()`), and the tests evaluate the conditions it writes
per event, because reading them is not enough to know they run where they should. This follows
GitHub's documented rules: literals (`null`, booleans, numbers, '' strings), property and index
access (a missing property is null), `!`, comparisons with loose equality (mismatched types
become numbers, strings compare case-insensitively), `&&` and `||` returning an operand, the usual
functions, and the implicit `success() &&` on a condition that calls no status function.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

_TOKEN = re.compile(
    r"\s*(?:(?P<num>0x[0-9a-fA-F]+|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)"
    r"|(?P<str>'(?:[^']|'')*')"
    r"|(?P<op>==|!=|<=|>=|&&|\|\||[!<>()\[\].,*])"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_-]*))"
)
STATUS_FUNCTIONS = ("success", "failure", "cancelled", "always")


class ExpressionError(ValueError):
    """The expression does not parse, or calls something unknown."""


@dataclass
class Status:
    """Job status as the status functions see it."""

    failed: bool = False
    cancelled: bool = False


@dataclass
class Context:
    """The named contexts (github, steps, env…) plus what functions need."""

    values: Mapping[str, Any] = field(default_factory=dict)
    status: Status = field(default_factory=Status)
    hash_files: Callable[[list[str]], str] | None = None


def tokenize(text: str) -> list[tuple[str, str]]:
    tokens, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise ExpressionError(f"cannot read {text[pos : pos + 20]!r} in {text!r}")
        kind = match.lastgroup
        tokens.append((kind, match.group(kind)))
        pos = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.pos = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None or (value is not None and token[1] != value):
            raise ExpressionError(f"expected {value or 'more'} in {self.text!r}")
        self.pos += 1
        return token

    def parse(self) -> tuple:
        node = self.binary(0)
        if self.peek() is not None:
            raise ExpressionError(f"unexpected {self.peek()[1]!r} in {self.text!r}")
        return node

    LEVELS = (("||",), ("&&",), ("==", "!="), ("<", "<=", ">", ">="))

    def binary(self, level: int) -> tuple:
        if level == len(self.LEVELS):
            return self.unary()
        node = self.binary(level + 1)
        while (token := self.peek()) and token[0] == "op" and token[1] in self.LEVELS[level]:
            self.pos += 1
            node = ("op", token[1], node, self.binary(level + 1))
        return node

    def unary(self) -> tuple:
        token = self.peek()
        if token and token == ("op", "!"):
            self.pos += 1
            return ("not", self.unary())
        return self.postfix(self.primary())

    def primary(self) -> tuple:
        kind, value = self.take()
        if kind == "num":
            return ("lit", int(value, 16) if value.startswith("0x") else float(value))
        if kind == "str":
            return ("lit", value[1:-1].replace("''", "'"))
        if value == "(":
            node = self.binary(0)
            self.take(")")
            return node
        if kind == "name":
            lowered = value.lower()
            if lowered in ("true", "false"):
                return ("lit", lowered == "true")
            if lowered == "null":
                return ("lit", None)
            if self.peek() == ("op", "("):
                self.pos += 1
                args = []
                if self.peek() != ("op", ")"):
                    args.append(self.binary(0))
                    while self.peek() == ("op", ","):
                        self.pos += 1
                        args.append(self.binary(0))
                self.take(")")
                return ("call", lowered, args)
            return ("ctx", value)
        raise ExpressionError(f"unexpected {value!r} in {self.text!r}")

    def postfix(self, node: tuple) -> tuple:
        while token := self.peek():
            if token == ("op", "."):
                self.pos += 1
                _, name = self.take()
                node = ("star", node) if name == "*" else ("get", node, ("lit", name))
            elif token == ("op", "["):
                self.pos += 1
                index = ("lit", "*") if self.peek() == ("op", "*") else None
                if index:
                    self.pos += 1
                    node = ("star", node)
                else:
                    node = ("get", node, self.binary(0))
                self.take("]")
            else:
                break
        return node


@lru_cache(maxsize=4096)  # every Codex job's conditions hold the same few expressions; the trees are never changed
def parse(expression: str) -> tuple:
    return _Parser(expression).parse()


def uses_status_function(node: tuple) -> bool:
    if node[0] == "call" and node[1] in STATUS_FUNCTIONS:
        return True
    return any(uses_status_function(child) for child in node[1:] if isinstance(child, tuple)) or any(
        uses_status_function(arg) for child in node[1:] if isinstance(child, list) for arg in child
    )


def evaluate(expression: str, context: Context) -> Any:
    """The value of an expression (no implicit status check)."""
    return _eval(parse(expression), context)


def condition(text: str | bool | None, context: Context) -> bool:
    """Whether an `if:` lets its job or step run: the wrapper removed, implicit `success()` applied."""
    if text is None:
        return not context.status.failed and not context.status.cancelled
    if isinstance(text, bool):
        return text and not context.status.failed and not context.status.cancelled
    stripped = text.strip()
    if stripped.startswith("${{") and stripped.endswith("}}") and stripped.count("${{") == 1:
        stripped = stripped[3:-2]
    node = parse(stripped)
    if not uses_status_function(node):
        node = ("op", "&&", ("call", "success", []), node)
    return truthy(_eval(node, context))


def interpolate(template: str, context: Context) -> str:
    """A value with `${{ }}` parts, as the runner renders it into `env:` or `with:`."""
    return re.sub(r"\$\{\{(.*?)\}\}", lambda m: to_text(evaluate(m.group(1), context)), template, flags=re.DOTALL)


def truthy(value: Any) -> bool:
    if isinstance(value, float) and math.isnan(value):
        return False
    return value not in (None, False, 0, "") if not isinstance(value, (dict, list)) else True


def to_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def to_number(value: Any) -> float:
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        stripped = value.strip()
        if stripped == "":
            return 0.0
        try:
            return float(int(stripped, 16)) if stripped.lower().startswith("0x") else float(stripped)
        except ValueError:
            return math.nan
    return math.nan


def equal(left: Any, right: Any) -> bool:
    if isinstance(left, str) and isinstance(right, str):
        return left.lower() == right.lower()
    if type(left) is type(right) and isinstance(left, (dict, list)):
        return left is right
    if (left is None and right is None) or (isinstance(left, bool) and isinstance(right, bool)):
        return left == right
    a, b = to_number(left), to_number(right)
    return not (math.isnan(a) or math.isnan(b)) and a == b


def _compare(op: str, left: Any, right: Any) -> bool:
    if isinstance(left, str) and isinstance(right, str):
        a, b = left.lower(), right.lower()
    else:
        a, b = to_number(left), to_number(right)
        if math.isnan(a) or math.isnan(b):
            return False
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


def _get(value: Any, key: Any) -> Any:
    if isinstance(value, dict):
        if isinstance(key, str):
            for name, item in value.items():
                if str(name).lower() == key.lower():
                    return item
        return None
    if isinstance(value, list) and not isinstance(key, str):
        index = to_number(key)
        return value[int(index)] if not math.isnan(index) and 0 <= index < len(value) else None
    if isinstance(value, list) and isinstance(key, str):
        return [_get(item, key) for item in value]
    return None


def _eval(node: tuple, ctx: Context) -> Any:
    kind = node[0]
    if kind == "lit":
        return node[1]
    if kind == "ctx":
        return _get(dict(ctx.values), node[1])
    if kind == "get":
        return _get(_eval(node[1], ctx), _eval(node[2], ctx))
    if kind == "star":
        value = _eval(node[1], ctx)
        return list(value.values()) if isinstance(value, dict) else value if isinstance(value, list) else []
    if kind == "not":
        return not truthy(_eval(node[1], ctx))
    if kind == "op":
        op = node[1]
        left = _eval(node[2], ctx)
        if op == "&&":
            return _eval(node[3], ctx) if truthy(left) else left
        if op == "||":
            return left if truthy(left) else _eval(node[3], ctx)
        right = _eval(node[3], ctx)
        if op == "==":
            return equal(left, right)
        if op == "!=":
            return not equal(left, right)
        return _compare(op, left, right)
    if kind == "call":
        return _call(node[1], [_eval(arg, ctx) for arg in node[2]], ctx)
    raise ExpressionError(f"unknown node {kind}")


def _call(name: str, args: list[Any], ctx: Context) -> Any:
    status = ctx.status
    functions: dict[str, Callable[[], Any]] = {
        "success": lambda: not status.failed and not status.cancelled,
        "failure": lambda: status.failed,
        "cancelled": lambda: status.cancelled,
        "always": lambda: True,
        "contains": lambda: _contains(args[0], args[1]),
        "startswith": lambda: to_text(args[0]).lower().startswith(to_text(args[1]).lower()),
        "endswith": lambda: to_text(args[0]).lower().endswith(to_text(args[1]).lower()),
        "format": lambda: _format(args),
        "join": lambda: (
            (to_text(args[1]) if len(args) > 1 else ",").join(map(to_text, args[0]))
            if isinstance(args[0], list)
            else to_text(args[0])
        ),
        "tojson": lambda: json.dumps(args[0], indent=2),
        "fromjson": lambda: json.loads(to_text(args[0])),
        "hashfiles": lambda: _hash(ctx, args),
    }
    if name not in functions:
        raise ExpressionError(f"unknown function {name}()")
    return functions[name]()


def _contains(search: Any, item: Any) -> bool:
    if isinstance(search, list):
        return any(equal(element, item) for element in search)
    return to_text(item).lower() in to_text(search).lower()


def _format(args: list[Any]) -> str:
    text = to_text(args[0])
    for index, value in enumerate(args[1:]):
        text = text.replace("{" + str(index) + "}", to_text(value))
    return text.replace("{{", "{").replace("}}", "}")


def _hash(ctx: Context, args: list[Any]) -> str:
    if ctx.hash_files is None:
        raise ExpressionError("hashFiles() is only available where a workspace is known")
    return ctx.hash_files([to_text(a) for a in args])
