"""The edits the transforms may make to one parsed workflow, as position-based splices.

An `Editor` owns the document, the file's indentation step and the order in which edits were
planned (edits at one offset are applied in that order), and it collects the edits. Each helper
places its text by the node positions of the original document and the layout of the lines beside
it; none of them re-serialises YAML the user wrote, and none decides *whether* to edit: that is the
transforms' job (`kit.patch.transforms`).
"""

from __future__ import annotations

from itertools import count
from typing import Any

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from kit.patch import expressions as ex
from kit.patch.conditions import condition_text
from kit.patch.render import Layout, Value, render_keys, render_step, step_data
from kit.patch.splice import Edit, replace_scalar_body
from kit.patch.yamldoc import Document, UnsafeDocument


class Editor:
    """Collects the planned text edits of one workflow, in planned order."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.indent = doc.indent_step
        self.edits: list[Edit] = []
        self._order = count(1)

    def _add(self, start: int, end: int, text: str) -> None:
        self.edits.append(Edit(start, end, text, next(self._order)))

    # --- whole lines and spans ------------------------------------------------------------------
    def insert_lines(self, line: int, text: str) -> str:
        """Insert whole lines before `line` and return what was inserted (EOF keeps its final-newline state)."""
        offset = self.doc.offset(line)
        if offset == len(self.doc.text) and self.doc.text and not self.doc.text.endswith("\n"):
            text = "\n" + text.rstrip("\n")
        self._add(offset, offset, text)
        return text

    def replace_span(self, node: Node, text: str) -> None:
        """Replace the text of `node` (a one-line scalar) with `text`."""
        self._add(node.start_mark.index, node.end_mark.index, text)

    def replace_run(self, step: MappingNode, body: str) -> None:
        """Make the step's `run:` a literal block holding exactly `body`."""
        run = Document.get(step, "run")
        if not isinstance(run, ScalarNode):
            raise UnsafeDocument(f"line {step.start_mark.line + 1}: this step has no `run:` script")
        edit = replace_scalar_body(self.doc, run, step.start_mark.column, self.indent, body, next(self._order))
        self.edits.append(edit)

    # --- steps ----------------------------------------------------------------------------------
    def _layout(self, item: Node) -> Layout:
        _, dash_col = self.doc.item_dash(item)
        return Layout(dash_col, item.start_mark.column, self.indent)

    def insert_step_before(self, steps: SequenceNode, index: int, fields: list[tuple[str, Value]]) -> dict[str, Any]:
        """A new step above step `index` (and above the comments attached to it); returns its data."""
        item = steps.value[index]
        rendered = render_step(fields, self._layout(item))
        dash_line, _ = self.doc.item_dash(item)
        line = self.doc.attached_start(dash_line)
        if self.doc.is_blank(line - 1):
            rendered += "\n"
        self.insert_lines(line, rendered)
        return step_data(rendered)

    def insert_step_after(self, steps: SequenceNode, index: int, fields: list[tuple[str, Value]]) -> dict[str, Any]:
        """A new step below step `index` (never below a trailing blank line); returns its data."""
        item = steps.value[index]
        rendered = render_step(fields, self._layout(item))
        line = self.doc.last_line(item) + 1
        if self.doc.is_blank(line):
            rendered = "\n" + rendered
        return step_data(self.insert_lines(line, rendered))

    # --- keys -----------------------------------------------------------------------------------
    def add_keys(self, mapping: MappingNode, fields: list[tuple[str, Value]], anchor: str | None) -> None:
        """New keys go after the anchor key's value (or the first key), never after trailing comments."""
        key_col = mapping.start_mark.column
        value = Document.get(mapping, anchor) if anchor else None
        value = value if value is not None else mapping.value[0][1]
        text = render_keys(fields, key_col, key_col + self.indent)
        self.insert_lines(self.doc.last_line(value) + 1, text)

    def add_env(self, mapping: MappingNode, name: str, value: str, where: str) -> None:
        """`name: value` in the mapping's `env:`, which is created, extended, or merged into in flow style."""
        env_node = Document.get(mapping, "env")
        if env_node is None:
            self.add_keys(mapping, [("env", {name: value})], anchor="uses")
            return
        if not isinstance(env_node, MappingNode):
            raise UnsafeDocument(f"{where}: `env:` is not a mapping")
        if env_node.flow_style:
            self.merge_flow_env(env_node, name, value)
            return
        key_col = env_node.value[0][0].start_mark.column if env_node.value else 0
        line = self.doc.last_line(env_node) + 1
        self.insert_lines(line, render_keys([(name, value)], key_col, key_col + self.indent))

    def merge_flow_env(self, env_node: MappingNode, name: str, value: str) -> None:
        """Add an entry to a one-line flow mapping (`env: {A: 1}`), keeping its spacing."""
        if env_node.start_mark.line != env_node.end_mark.line:
            raise UnsafeDocument(f"line {env_node.start_mark.line + 1}: a multi-line flow `env:` cannot be merged into")
        close = env_node.end_mark.index - 1
        if self.doc.text[close] != "}":
            raise UnsafeDocument(f"line {env_node.start_mark.line + 1}: unexpected flow mapping end")
        entry = f"{name}: {ex.yaml_scalar(value, flow=True)}"
        inner = self.doc.text[env_node.start_mark.index + 1 : close]
        text = f" {entry} " if not inner.strip() else f", {entry}"
        end = close
        while self.doc.text[end - 1] == " " and inner.strip():
            end -= 1
        self._add(end, end, text)

    # --- conditions -----------------------------------------------------------------------------
    def and_condition(self, mapping: MappingNode, old: Any, add: str, anchor: str | None, first: bool = False) -> str:
        """Make the mapping's `if:` `(old) && (add)` (or `add && (old)`), or just `add`; returns it."""
        if old is None:
            if anchor and not isinstance(Document.get(mapping, anchor), ScalarNode):
                anchor = None
            self.add_keys(mapping, [("if", ex.condition_scalar(add))], anchor)
            return add
        inner = ex.unwrap(condition_text(old))
        new = f"{add} && ({inner})" if first else f"({inner}) && ({add})"
        node = Document.get(mapping, "if")
        if not isinstance(node, ScalarNode):
            line = mapping.start_mark.line + 1
            raise UnsafeDocument(f"line {line}: an `if:` that is not a scalar cannot be combined")
        if node.style in ("|", ">"):
            prefix, suffix = (f"{add} && ", "") if first else ("", f" && ({add})")
            self.replace_block_condition(node, prefix, suffix)
        else:
            self.replace_span(node, ex.condition_scalar(new))
        return new

    def replace_block_condition(self, node: ScalarNode, prefix: str, suffix: str) -> None:
        """Keep a folded or literal `if:` block a block: the old lines in parentheses, the addition around."""
        first, last = node.start_mark.line + 1, self.doc.last_line(node)
        lines = self.doc.lines[first : last + 1]
        indent = min(len(x) - len(x.lstrip()) for x in lines if x.strip())
        old_lines = ex.unwrap("\n".join(x[indent:] for x in lines)).split("\n")
        old_lines[0] = f"{prefix}({old_lines[0]}"
        old_lines[-1] = f"{old_lines[-1]}){suffix}"
        start = self.doc.offset(first)
        end = self.doc.offset(last) + len(self.doc.lines[last])
        self._add(start, end, "\n".join((" " * indent + x) if x else x for x in old_lines))
