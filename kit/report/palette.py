"""One colour per failure category, the same in every chart: a hue per family, a shade per category.

Sixteen categories in one palette are sixteen colours nobody can tell apart; grouped into a few
families a reader sees "key and billing" or "Codex home" at a glance, and the shades still tell
the categories within a family apart. A category no family lists is shown in the "other" greys.
"""

from __future__ import annotations

from typing import Final

import matplotlib

FAMILIES: Final[dict[str, tuple[str, tuple[str, ...]]]] = {
    # family: (matplotlib colormap, categories in legend order)
    "key & billing": ("Reds", ("missing-api-key", "invalid-key", "quota-exhausted", "usage-limit", "rate-limited",
                               "actor-not-permitted", "permission-check-failed")),
    "Codex home": ("Purples", ("stale-server-info", "server-info-missing", "unprivileged-user")),
    "runner & sandbox": ("Oranges", ("sudo", "sandbox", "codex-install", "hang-timeout", "runner-lost")),
    "Codex itself": ("Blues", ("model-not-found", "config-error", "invalid-request", "context-length",
                               "wrong-endpoint", "network-upstream", "codex-failed", "codex-exited")),
    "output": ("Greens", ("output-missing",)),
    "DB test": ("YlOrBr", ("db-active-count", "db-other")),
    "other": ("Greys", ("unrecognised", "no-log", "log-gone")),
}  # fmt: skip


def family_of(category: str) -> str:
    return next((name for name, (_, members) in FAMILIES.items() if category in members), "other")


def order(categories: list[str]) -> list[str]:
    """The categories by family, then in each family's own order (unlisted ones last, by name)."""
    rank = {c: (i, j) for i, (_, (_, members)) in enumerate(FAMILIES.items()) for j, c in enumerate(members)}
    return sorted(categories, key=lambda c: (*rank.get(c, (len(FAMILIES), 99)), c))


def colours(categories: list[str]) -> dict[str, tuple[float, float, float, float]]:
    """category -> RGBA; a family's shades run from light to dark over the categories present."""
    found: dict[str, tuple[float, float, float, float]] = {}
    for family, (cmap_name, _) in FAMILIES.items():
        present = [c for c in order(categories) if family_of(c) == family]
        cmap = matplotlib.colormaps[cmap_name]
        for index, category in enumerate(present):
            found[category] = cmap(0.45 + 0.45 * index / max(len(present) - 1, 1))
    return found
