"""Render the steps and keys the kit adds, in the indentation of the lines they sit beside.

The kit's own steps are a small, fixed shape (one-line scalars, a flat `env:` mapping and a literal
`run: |` block), so a ten-line emitter that copies the neighbouring step's columns is all that is
needed; a general YAML dumper would impose its own style on the user's file.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from kit.patch import yamlread
from kit.patch.expressions import yaml_scalar


@dataclass(frozen=True)
class Layout:
    """Columns of a sequence item: its dash, its keys, and the nesting step for children."""

    dash_col: int
    key_col: int
    step: int

    @property
    def child_col(self) -> int:
        return self.key_col + self.step


@dataclass(frozen=True)
class Literal:
    """A multi-line string written as a literal block (`|`)."""

    text: str


@dataclass(frozen=True)
class Raw:
    """Text written as is (for `true`)."""

    text: str


Value = str | Literal | Raw | dict[str, str]


def render_value(key: str, value: Value, key_col: int, child_col: int) -> list[str]:
    """Lines for `key: value` with the key at `key_col` (the first line has no indentation)."""
    if isinstance(value, dict):
        return [f"{key}:"] + [" " * child_col + f"{k}: {yaml_scalar(v)}" for k, v in value.items()]
    if isinstance(value, Literal):
        body = [(" " * child_col + line) if line else "" for line in value.text.rstrip("\n").split("\n")]
        return [f"{key}: |", *body]
    if isinstance(value, Raw):
        return [f"{key}: {value.text}"]
    return [f"{key}: {yaml_scalar(value)}"]


def render_keys(fields: list[tuple[str, Value]], key_col: int, child_col: int) -> str:
    """Keys to splice into an existing mapping, each line indented to `key_col`."""
    lines: list[str] = []
    for key, value in fields:
        rendered = render_value(key, value, key_col, child_col)
        lines.append(" " * key_col + rendered[0])
        lines.extend(rendered[1:])
    return "\n".join(lines) + "\n"


def render_step(fields: list[tuple[str, Value]], layout: Layout) -> str:
    """A whole sequence item (`- key: …`) laid out like its neighbour."""
    text = render_keys(fields, layout.key_col, layout.child_col)
    gap = layout.key_col - layout.dash_col - 1
    return " " * layout.dash_col + "-" + " " * gap + text[layout.key_col :]


def step_data(rendered: str) -> dict[str, Any]:
    """What a rendered step reads back as: the verifier expects exactly this in the patched file.

    Every Codex job gets the same few steps, so each distinct text is parsed once (a copy is returned:
    the plan may hold it beside other data)."""
    return copy.deepcopy(_parsed_step(rendered))


@lru_cache(maxsize=1024)
def _parsed_step(rendered: str) -> dict[str, Any]:
    items = yamlread.load(rendered)
    assert isinstance(items, list) and len(items) == 1 and isinstance(items[0], dict)
    return items[0]
