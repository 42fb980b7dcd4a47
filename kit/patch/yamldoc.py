"""A YAML document seen two ways: node positions for splicing and plain data for verifying.

The parser (PyYAML, through `yamlread`) is used only to read. Its node marks give character offsets
and lines in the original text, which is where the planner splices new text; the plain data (YAML
1.2, so `on` stays a string) is what the verifier compares before and after. What PyYAML accepts
but GitHub or a safe edit does not (a repeated key, several documents, a `%YAML 1.1` directive) is
refused here. Nothing here ever serialises YAML.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from yaml.error import Mark, MarkedYAMLError, YAMLError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from kit.errors import RefusedFile
from kit.patch import yamlread


class UnsafeDocument(RefusedFile):
    """The document cannot be edited safely; the message says why and where."""


@dataclass
class Document:
    """Original text, its node tree and its data, with line helpers for splicing."""

    text: str
    root: Node
    data: Any
    lines: list[str]
    line_starts: list[int]

    @classmethod
    def parse(cls, text: str, where: str = "<yaml>") -> Document:
        if text.lstrip().startswith("%YAML 1.1"):
            raise UnsafeDocument(f"{where}: a %YAML 1.1 directive changes how `on:` is read; remove it first")
        try:
            documents = yamlread.compose_and_load(text)
            roots = [root for root, _ in documents]
            repeated = yamlread.duplicate_key(roots[0]) if len(roots) == 1 else None
            if repeated:
                raise _unreadable(where, repeated[0].start_mark, _duplicate_message(*repeated))
        except MarkedYAMLError as err:
            problem = (err.problem or err.context or "invalid YAML").strip()
            raise _unreadable(where, err.problem_mark or err.context_mark, problem) from err
        except YAMLError as err:
            raise UnsafeDocument(f"{where}: YAML the kit cannot read safely: {err}") from err
        if len(roots) != 1 or roots[0] is None:
            raise UnsafeDocument(f"{where}: expected exactly one YAML document, found {len(roots)}")
        return cls._of(text, *documents[0])

    @classmethod
    def parse_fast(cls, text: str) -> Document | None:
        """The document as libyaml reads it, for checking the kit's own output quickly; None when it
        cannot (then `parse` decides, with its messages). No duplicate-key or anchor-name checks."""
        documents = yamlread.compose_and_load_fast(text)
        if not documents or len(documents) != 1 or documents[0][0] is None:
            return None
        return cls._of(text, *documents[0])

    @classmethod
    def _of(cls, text: str, root: Node, data: Any) -> Document:
        lines = text.split("\n")
        starts, pos = [], 0
        for line in lines:
            starts.append(pos)
            pos += len(line) + 1
        return cls(text, root, data, lines, starts)

    # --- node navigation -------------------------------------------------------------------
    @staticmethod
    def get(node: Node | None, key: str) -> Node | None:
        """The value node of `key` in a mapping node (None when absent or not a mapping)."""
        if not isinstance(node, MappingNode):
            return None
        for key_node, value_node in node.value:
            if isinstance(key_node, ScalarNode) and key_node.value == key:
                return value_node
        return None

    # --- positions ---------------------------------------------------------------------------
    def offset(self, line: int, column: int = 0) -> int:
        """Character offset of a (0-based) line and column; a line past the end maps to EOF."""
        if line >= len(self.line_starts):
            return len(self.text)
        return self.line_starts[line] + column

    def last_line(self, node: Node) -> int:
        """The last line that holds content of `node` (never a trailing blank or comment line)."""
        if isinstance(node, ScalarNode):
            if node.style in ("|", ">"):
                stop = node.end_mark.line if node.end_mark.column == 0 else node.end_mark.line + 1
                for line in range(min(stop, len(self.lines)) - 1, node.start_mark.line - 1, -1):
                    if self.lines[line].strip():
                        return line
                return node.start_mark.line
            return node.end_mark.line
        if getattr(node, "flow_style", False):
            return node.end_mark.line
        if isinstance(node, MappingNode) and node.value:
            return self.last_line(node.value[-1][1])
        if isinstance(node, SequenceNode) and node.value:
            return self.last_line(node.value[-1])
        return node.start_mark.line

    def item_dash(self, item: Node) -> tuple[int, int]:
        """(line, column) of the `-` that introduces a block sequence item."""
        index = item.start_mark.index - 1
        while index >= 0 and self.text[index] in " \t\n":
            index -= 1
        if index < 0 or self.text[index] != "-":
            raise UnsafeDocument(f"line {item.start_mark.line + 1}: cannot find the `-` of this list item")
        line = self.text.count("\n", 0, index)
        return line, index - self.line_starts[line]

    def attached_start(self, line: int) -> int:
        """First line of the run of full-line comments directly above `line` (or `line` itself)."""
        while line > 0 and self.lines[line - 1].lstrip().startswith("#"):
            line -= 1
        return line

    def is_blank(self, line: int) -> bool:
        return 0 <= line < len(self.lines) and not self.lines[line].strip()

    @cached_property
    def indent_step(self) -> int:
        """The file's indentation step for nested mappings (2 unless the file says otherwise)."""
        seen: dict[int, int] = {}
        self._collect_steps(self.root, seen)
        return max(seen, key=lambda step: (seen[step], -step)) if seen else 2

    def _collect_steps(self, node: Node, seen: dict[int, int]) -> None:
        if isinstance(node, MappingNode) and not node.flow_style:
            for key_node, value in node.value:
                nested = isinstance(value, MappingNode) and not value.flow_style and value.value
                if nested and value.start_mark.line > key_node.start_mark.line:
                    step = value.start_mark.column - key_node.start_mark.column
                    if step > 0:
                        seen[step] = seen.get(step, 0) + 1
                self._collect_steps(value, seen)
        elif isinstance(node, SequenceNode):
            for item in node.value:
                self._collect_steps(item, seen)


def _unreadable(where: str, mark: Mark | None, problem: str) -> UnsafeDocument:
    place = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown place"
    return UnsafeDocument(f"{where}:{place}: YAML the kit cannot read safely: {problem}")


def _duplicate_message(key: ScalarNode, value: Node, first: Node) -> str:
    if isinstance(value, ScalarNode) and isinstance(first, ScalarNode):
        return f'found duplicate key "{key.value}" with value "{value.value}" (original value: "{first.value}")'
    return f'found duplicate key "{key.value}"'


def has_anchor(node: Node, seen: set[int] | None = None) -> bool:
    """True when `node` or anything below it is anchored or reached through an alias (a node seen twice)."""
    seen = set() if seen is None else seen
    if id(node) in seen:
        return True
    seen.add(id(node))
    if getattr(node, "anchor", None):
        return True
    if isinstance(node, MappingNode):
        return any(
            key.tag == yamlread.MERGE_TAG or has_anchor(key, seen) or has_anchor(value, seen)
            for key, value in node.value
        )
    if isinstance(node, SequenceNode):
        return any(has_anchor(item, seen) for item in node.value)
    return False
