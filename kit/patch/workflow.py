"""Harden one workflow's (or one composite action's) text: locate → plan → splice → verify. Pure:
text in, text out.

Refusals are `UnsafeDocument` errors carrying the reason; the caller decides what a refusal
means for the file (left untouched, reported, exit 2).
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from kit.patch.editor import Editor
from kit.patch.locate import CodexJob, codex_jobs, composite_codex
from kit.patch.plan import JobPlan
from kit.patch.splice import Edit, splice
from kit.patch.transforms import ACTION_TRANSFORMS, TRANSFORMS, Transform, plan_job
from kit.patch.verify import expected_data, first_difference
from kit.patch.yamldoc import Document, UnsafeDocument

Locator = Callable[[Document], list[CodexJob]]


@dataclass
class WorkflowPatch:
    """The outcome for one workflow: the new text and what changed in which Codex job."""

    text: str
    changed: bool
    codex_jobs: list[str] = field(default_factory=list)
    jobs: list[JobPlan] = field(default_factory=list)
    data: Any = None  # the original document's data, read once, for whoever needs more of it


def plan_workflow(
    doc: Document, locate: Locator = codex_jobs, transforms: tuple[Transform, ...] = TRANSFORMS
) -> tuple[list[JobPlan], list[Edit], list[str]]:
    """The plan of every Codex job, the text edits they need (in planned order) and the jobs' ids."""
    editor = Editor(doc)
    jobs = locate(doc)
    plans = [plan_job(editor, job, transforms) for job in jobs]
    return plans, editor.edits, [job.job_id for job in jobs]


def patch_workflow(text: str, where: str = "<workflow>", local_codex: frozenset[str] = frozenset()) -> WorkflowPatch:
    """Harden every Codex job in `text` (jobs using a local action in `local_codex` get the fork guard);
    raises UnsafeDocument when it cannot do so safely."""
    return _patch(text, where, lambda doc: codex_jobs(doc, local_codex), TRANSFORMS)


def patch_action(text: str, where: str = "<action>", local_codex: frozenset[str] = frozenset()) -> WorkflowPatch:
    """Harden the steps of a composite action that runs Codex (its callers' jobs get the fork guard)."""

    def locate(doc: Document) -> list[CodexJob]:
        found = composite_codex(doc, local_codex)
        return [] if found is None else [found]

    return _patch(text, where, locate, ACTION_TRANSFORMS)


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Pause Python's cycle collector while one file is patched. A large workflow makes millions of
    short-lived nodes and marks (none of them in cycles), and the collector's repeated full passes
    over them made a 2,000-job file cost 60% more per job than a 250-job one; reference counting
    still frees everything, and the collector runs again as soon as the file is done."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _patch(text: str, where: str, locate: Locator, transforms: tuple[Transform, ...]) -> WorkflowPatch:
    with _no_cycle_collection():
        return _patch_text(text, where, locate, transforms)


def _patch_text(text: str, where: str, locate: Locator, transforms: tuple[Transform, ...]) -> WorkflowPatch:
    doc = Document.parse(text, where)
    try:
        plans, edits, names = plan_workflow(doc, locate, transforms)
    except UnsafeDocument as err:
        raise UnsafeDocument(f"{where}: {err}") from err
    if not edits:
        return WorkflowPatch(text, False, names, plans, doc.data)
    try:
        new_text = splice(text, edits)
    except UnsafeDocument as err:
        raise UnsafeDocument(f"{where}: {err}") from err
    _verify(doc, new_text, plans, where, locate, transforms)
    return WorkflowPatch(new_text, True, names, plans, doc.data)


def _verify(
    before: Document, new_text: str, plans: list[JobPlan], where: str, locate: Locator, transforms: tuple
) -> None:
    """Refuse unless the patched text reads back as planned and a second run would not edit again.

    The check runs first on libyaml's reading (several times faster on a large file); only when that
    reading finds a problem, or there is no libyaml, does the pure reader decide and say what is wrong."""
    fast = Document.parse_fast(new_text)
    try:
        if fast is not None and _problem(before, fast, plans, locate, transforms) is None:
            return
    except UnsafeDocument:
        pass  # the pure reading below says it again, with the message users see
    try:
        after = Document.parse(new_text, where)
    except UnsafeDocument as err:
        raise UnsafeDocument(f"{where}: the patched text would not parse ({err}); nothing written") from err
    problem = _problem(before, after, plans, locate, transforms)
    if problem:
        raise UnsafeDocument(f"{where}: {problem}; nothing written")


def _problem(before: Document, after: Document, plans: list[JobPlan], locate: Locator, transforms: tuple) -> str | None:
    difference = first_difference(expected_data(before.data, plans), after.data)
    if difference:
        return f"the patch would change more than intended at {difference}"
    _, again, _ = plan_workflow(after, locate, transforms)
    if again:
        return "the patch does not converge (a second run would edit again)"
    return None
