"""Which periods of a workflow's history the cache holds completely, as merged time intervals.

A fetch asked for a window (`--since`/`--until`) lists only that window; a later fetch, or a
report, must know that the cache holds nothing outside it rather than trust a "listing complete"
marker. So every listing that reaches its end records the interval it covered, intervals are
merged, and anyone can ask what is missing from a period. An open start (`None`) means "from the
workflow's first run"; every end is a moment (the `--until` day's end, or when the fetch listed).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

Moment = pd.Timestamp
Interval = tuple[Moment | None, Moment]


def _key(low: Moment | None) -> Moment:
    return pd.Timestamp.min.tz_localize("UTC") if low is None else low


def merge(intervals: list[Interval]) -> list[Interval]:
    """The same moments as `intervals`, as the fewest disjoint intervals, oldest first."""
    merged: list[Interval] = []
    for low, high in sorted(intervals, key=lambda pair: _key(pair[0])):
        if merged and _key(low) <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], high))
        else:
            merged.append((low, high))
    return merged


def gaps(covered: list[Interval], low: Moment | None, high: Moment) -> list[Interval]:
    """The parts of [low, high] that no interval of `covered` holds."""
    missing: list[Interval] = []
    cursor = low
    for start, end in merge(covered):
        if end <= _key(cursor):
            continue
        if _key(start) > _key(cursor):
            missing.append((cursor, min(start, high)))
        cursor = end
        if cursor >= high:
            return missing
    if _key(cursor) < high:
        missing.append((cursor, high))
    return [(a, b) for a, b in missing if _key(a) < b]


def holds(covered: list[Interval], low: Moment | None, high: Moment) -> bool:
    """True when [low, high] lies inside the covered periods."""
    return not gaps(covered, low, high)


def read(state: dict[str, Any], workflow: str) -> list[Interval]:
    """The covered intervals stored in a cache's state for `workflow`."""
    stored = state.get("coverage", {}).get(workflow, [])
    return [(None if low is None else pd.Timestamp(low), pd.Timestamp(high)) for low, high in stored]


def write(state: dict[str, Any], workflow: str, intervals: list[Interval]) -> None:
    state.setdefault("coverage", {})[workflow] = [
        [None if low is None else low.isoformat(), high.isoformat()] for low, high in merge(intervals)
    ]


def describe(interval: Interval) -> str:
    low, high = interval
    start = "the first run" if low is None else low.strftime("%Y-%m-%d %H:%M")
    return f"{start} to {high.strftime('%Y-%m-%d %H:%M')} UTC"
