"""The unified diff `codex-kit patch --diff` prints: of the file's real bytes, and in linear time.

`difflib.unified_diff` matches lines with `SequenceMatcher`, which is quadratic on what a patched
workflow is made of: the same lines in every job (2,000 jobs took minutes). Lines that occur once
in each file (a job's id, a step's name) are anchors that must match; the longest run of them in
the same order (patience sorting) cuts both files into small stretches, and only those go to
`SequenceMatcher`. The hunks are then laid out exactly as `difflib` does, and a last line without a
newline gets git's `\\ No newline` marker, so `git apply` accepts the diff.
"""

from __future__ import annotations

import difflib
from bisect import bisect_left
from collections import Counter

NO_NEWLINE = "\\ No newline at end of file\n"
CONTEXT = 3
_LARGEST = 5000  # lines (both sides) of a stretch without anchors that SequenceMatcher may still match


def unified_diff(rel: str, old: bytes, new: bytes) -> str:
    """A unified diff of the file's real bytes (BOM, CRLF and a missing final newline included) that
    `git apply` accepts: a last line without a newline is followed by git's `\\ No newline` marker."""
    a, b = _lines(old), _lines(new)
    pieces = _unified(a, b, f"a/{rel}", f"b/{rel}")
    return "".join(piece if piece.endswith("\n") else f"{piece}\n{NO_NEWLINE}" for piece in pieces)


def _lines(data: bytes) -> list[str]:
    """The file's lines split on LF only, each keeping its own ending (a CR stays part of the line)."""
    parts = data.decode("utf-8").split("\n")
    return [part + "\n" for part in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


class _AnchoredMatcher(difflib.SequenceMatcher):
    """A SequenceMatcher whose matching blocks come from `matching_blocks` (anchored, near-linear)."""

    def get_matching_blocks(self) -> list[difflib.Match]:  # type: ignore[override]
        if self.matching_blocks is None:
            blocks = _merge(sorted(_matches(self.a, 0, len(self.a), self.b, 0, len(self.b))))
            self.matching_blocks = [difflib.Match(*block) for block in blocks] + [
                difflib.Match(len(self.a), len(self.b), 0)
            ]
        return self.matching_blocks


def _unified(a: list[str], b: list[str], fromfile: str, tofile: str) -> list[str]:
    """`difflib.unified_diff(a, b, fromfile, tofile)` with the anchored matcher (same layout)."""
    out: list[str] = []
    for group in _AnchoredMatcher(None, a, b, autojunk=False).get_grouped_opcodes(CONTEXT):
        if not out:
            out += [f"--- {fromfile}\n", f"+++ {tofile}\n"]
        first, last = group[0], group[-1]
        out.append(f"@@ -{_range(first[1], last[2])} +{_range(first[3], last[4])} @@\n")
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                out += [" " + line for line in a[i1:i2]]
                continue
            if tag in ("replace", "delete"):
                out += ["-" + line for line in a[i1:i2]]
            if tag in ("replace", "insert"):
                out += ["+" + line for line in b[j1:j2]]
    return out


def _range(start: int, stop: int) -> str:
    """A hunk's line range as unified diffs write it (as `difflib` does)."""
    length = stop - start
    beginning = start + 1 if length else start
    return str(beginning) if length == 1 else f"{beginning},{length}"


def _matches(a: list[str], alo: int, ahi: int, b: list[str], blo: int, bhi: int) -> list[tuple[int, int, int]]:
    """Matching blocks (i, j, size) of a[alo:ahi] and b[blo:bhi], in order."""
    found: list[tuple[int, int, int]] = []
    stack = [(alo, ahi, blo, bhi)]
    while stack:
        alo, ahi, blo, bhi = stack.pop()
        while alo < ahi and blo < bhi and a[alo] == b[blo]:  # common head
            found.append((alo, blo, 1))
            alo, blo = alo + 1, blo + 1
        while alo < ahi and blo < bhi and a[ahi - 1] == b[bhi - 1]:  # common tail
            ahi, bhi = ahi - 1, bhi - 1
            found.append((ahi, bhi, 1))
        if alo == ahi or blo == bhi:
            continue
        anchors = _anchors(a, alo, ahi, b, blo, bhi)
        if not anchors:
            if (ahi - alo) + (bhi - blo) <= _LARGEST:  # beyond, one replaced stretch: a valid, longer diff
                matcher = difflib.SequenceMatcher(None, a[alo:ahi], b[blo:bhi], autojunk=False)
                found += [(alo + i, blo + j, n) for i, j, n in matcher.get_matching_blocks() if n]
            continue
        previous = (alo, blo)
        for i, j in anchors:
            stack.append((previous[0], i, previous[1], j))
            found.append((i, j, 1))
            previous = (i + 1, j + 1)
        stack.append((previous[0], ahi, previous[1], bhi))
    return found


def _anchors(a: list[str], alo: int, ahi: int, b: list[str], blo: int, bhi: int) -> list[tuple[int, int]]:
    """The longest in-order run of lines that occur exactly once in each stretch (patience diff)."""
    count_a = Counter(a[alo:ahi])
    count_b = Counter(b[blo:bhi])
    where_b = {line: j for j, line in enumerate(b[blo:bhi], blo) if count_b[line] == 1 and count_a[line] == 1}
    pairs = [(i, where_b[line]) for i, line in enumerate(a[alo:ahi], alo) if line in where_b]
    if not pairs:
        return []
    # longest increasing subsequence of the j's, by patience sorting
    tops: list[int] = []  # smallest last j of a run of each length
    ends: list[int] = []  # index into pairs of that run's last pair
    back: list[int] = [-1] * len(pairs)
    for index, (_, j) in enumerate(pairs):
        pile = bisect_left(tops, j)
        back[index] = ends[pile - 1] if pile else -1
        if pile == len(tops):
            tops.append(j)
            ends.append(index)
        else:
            tops[pile], ends[pile] = j, index
    run, index = [], ends[-1]
    while index >= 0:
        run.append(pairs[index])
        index = back[index]
    return run[::-1]


def _merge(blocks: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    merged: list[tuple[int, int, int]] = []
    for i, j, n in blocks:
        if merged and merged[-1][0] + merged[-1][2] == i and merged[-1][1] + merged[-1][2] == j:
            merged[-1] = (merged[-1][0], merged[-1][1], merged[-1][2] + n)
        else:
            merged.append((i, j, n))
    return merged
