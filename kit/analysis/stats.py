"""Rates with Wilson intervals, and Fisher's exact test for before/after differences."""

from __future__ import annotations

import math

from scipy.stats import fisher_exact


def wilson(successes: int, total: int, z: float = 1.959964) -> tuple[float, float]:
    """Wilson score interval for a proportion; (nan, nan) when there is nothing to count."""
    if total <= 0:
        return (math.nan, math.nan)
    p = successes / total
    denominator = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denominator
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denominator
    # The interval holds the observed rate exactly: rounding must not put 0 above a lower bound of 1e-19
    # (a chart's error bar would come out negative).
    return (min(p, max(0.0, centre - half)), max(p, min(1.0, centre + half)))


def fisher_p(before_hits: int, before_total: int, after_hits: int, after_total: int) -> float:
    """Two-sided p-value that the before and after rates are the same."""
    if before_total <= 0 or after_total <= 0:
        return math.nan
    table = [[before_hits, before_total - before_hits], [after_hits, after_total - after_hits]]
    return float(fisher_exact(table, alternative="two-sided").pvalue)
