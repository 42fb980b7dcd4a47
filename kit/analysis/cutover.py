"""When the hardening landed, and which runs fall before it, after it, or in neither.

The cutover is given (a date, or a commit SHA whose first run marks it) or found: the first run on
the default branch whose Codex job carries the kit's steps. Runs are then split: "before" (created
earlier, Codex unhardened), "after" (created at or after it, no unhardened Codex job), and
"excluded" — a branch that predates the change still runs the old workflow file after the cutover,
and the PR that brings the change runs it before; neither says anything about either side.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

import pandas as pd

from kit.errors import UsageError
from kit.history.cache import History


class Window(StrEnum):
    """Which side of the cutover a run falls on, or neither."""

    BEFORE = "before"
    AFTER = "after"
    EXCLUDED = "excluded"


@dataclass(frozen=True)
class Cutover:
    at: pd.Timestamp | None
    how: str  # given-date | given-sha | detected | none
    run_url: str = ""

    def describe(self) -> str:
        if self.at is None:
            return "no cutover: no run carries the kit's steps yet"
        when = self.at.strftime("%Y-%m-%d %H:%M UTC")
        return {"given-date": f"{when} (given)", "given-sha": f"{when} (first run of the given commit)"}.get(
            self.how, f"{when} (first hardened run on the default branch)"
        )


def default_branch(runs: pd.DataFrame) -> str:
    pushes = runs[runs["event"] == "push"]["head_branch"]
    return pushes.mode().iloc[0] if not pushes.empty else "main"


def find_cutover(history: History, given: str | None = None) -> Cutover:
    runs = history.runs
    if given:
        if re.fullmatch(r"[0-9a-fA-F]{7,40}", given):
            matching = runs[runs["head_sha"].str.startswith(given.lower())].sort_values("created_at")
            if matching.empty:
                raise UsageError(f"cutover {given}: no run of a commit with that SHA in the history")
            first = matching.iloc[0]
            return Cutover(first["created_at"], "given-sha", first["html_url"])
        try:
            moment = pd.Timestamp(given)
        except ValueError as err:
            raise UsageError(f"cutover {given!r}: neither a date (YYYY-MM-DD) nor a commit SHA") from err
        return Cutover(moment.tz_localize("UTC") if moment.tzinfo is None else moment.tz_convert("UTC"), "given-date")
    hardened_runs = set(history.jobs.loc[history.jobs["hardened"], "run_id"])
    candidates = runs[runs["run_id"].isin(hardened_runs)]
    on_default = candidates[candidates["head_branch"] == default_branch(runs)]
    pool = on_default if not on_default.empty else candidates
    if pool.empty:
        return Cutover(None, "none")
    first = pool.sort_values("created_at").iloc[0]
    return Cutover(first["created_at"], "detected", first["html_url"])


def windows(history: History, cutover: Cutover) -> pd.Series:
    """run_id -> before | after | excluded."""
    runs = history.runs.set_index("run_id")
    jobs = history.jobs
    ran = jobs[jobs["has_codex"] & (jobs["conclusion"] != "skipped")]
    old = set(ran.loc[~ran["hardened"], "run_id"])
    new = set(ran.loc[ran["hardened"], "run_id"])
    if cutover.at is None:
        return pd.Series(Window.BEFORE.value, index=runs.index, name="window")
    after = runs["created_at"] >= cutover.at
    window = pd.Series(Window.EXCLUDED.value, index=runs.index, name="window")
    window[~after & ~runs.index.isin(new)] = Window.BEFORE.value
    window[after & ~runs.index.isin(old)] = Window.AFTER.value
    return window
