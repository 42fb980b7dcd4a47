"""A fetch stopped at its n-th save, as a killed process would stop there (nothing after it runs)."""

from __future__ import annotations

from collections.abc import Callable


class Killed(Exception):
    """Raised from the fetch's save hook: the fetch ends at that point, the cache as the save left it."""


def kill_on_save(number: int) -> Callable[[object], None]:
    """An `on_save` hook that lets `number - 1` saves through and stops the fetch at the `number`-th."""
    saves: list[int] = []

    def hook(_history: object) -> None:
        saves.append(1)
        if len(saves) == number:
            raise Killed

    return hook
