"""Text edits on the original document: one pass, no overlaps, block scalars written by hand.

Replacing a `run:` body is the one place where the kit writes a multi-line scalar over an existing
one, so the header (`|`, `|-`, `|+`, `|2`) is chosen from the content itself: a trailing newline
or not, several, or a first line that starts with a space. Everything around the body stays.
"""

from __future__ import annotations

from dataclasses import dataclass

from yaml.nodes import ScalarNode

from kit.patch.yamldoc import Document, UnsafeDocument


@dataclass
class Edit:
    """Replace text[start:end] with `text`; `order` keeps edits at one offset in planned order."""

    start: int
    end: int
    text: str
    order: int = 0


def splice(text: str, edits: list[Edit]) -> str:
    """The text with every edit applied; edits at one offset keep their planned order."""
    ordered = sorted(edits, key=lambda e: (e.start, e.end > e.start, e.order))
    out: list[str] = []
    pos = 0
    for edit in ordered:
        if edit.start < pos:
            raise UnsafeDocument(f"two planned edits overlap at offset {edit.start}; refusing to guess")
        out.append(text[pos : edit.start])
        out.append(edit.text)
        pos = edit.end
    out.append(text[pos:])
    return "".join(out)


def literal_block(body: str, key_col: int, step: int) -> str:
    """A literal block for `key: …` (key at `key_col`) that reads back as exactly `body`."""
    if body == "":
        return '""'
    stripped = body.rstrip("\n")
    trailing = len(body) - len(stripped)
    chomp = "-" if trailing == 0 else "" if trailing == 1 else "+"
    lines = stripped.split("\n") + [""] * max(trailing - 1, 0)
    first = next((line for line in lines if line), "")
    indicator = str(step) if first.startswith(" ") else ""
    pad = " " * (key_col + step)
    return f"|{indicator}{chomp}\n" + "\n".join((pad + line) if line else "" for line in lines)


def replace_scalar_body(doc: Document, node: ScalarNode, key_col: int, step: int, body: str, order: int) -> Edit:
    """An edit that turns the value of `key: <node>` into a literal block holding `body`."""
    if node.style in ("|", ">"):
        last = doc.last_line(node)
        end = doc.offset(last) + len(doc.lines[last])
    elif node.style is None or node.style in ("'", '"'):
        end = node.end_mark.index
    else:
        raise UnsafeDocument(f"line {node.start_mark.line + 1}: unknown scalar style {node.style!r}")
    text = literal_block(body, key_col, step)
    after = doc.text.count("\n", 0, end) + 1
    if text.startswith(("|+", f"|{step}+")) and doc.is_blank(after):
        raise UnsafeDocument(f"line {after + 1}: a keep-chomped block here would swallow the blank line after it")
    return Edit(node.start_mark.index, end, text, order)
