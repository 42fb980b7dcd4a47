"""Apply planned edits to the original text in one pass, refusing overlapping edits."""

from __future__ import annotations

from kit.patch.plan import Edit
from kit.patch.yamldoc import UnsafeDocument


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
