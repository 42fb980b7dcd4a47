"""Harden one workflow's text: locate → plan → splice → verify. Pure: text in, text out.

Refusals are `UnsafeDocument` errors carrying the reason; the caller decides what a refusal
means for the file (left untouched, reported, exit 2).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kit.patch.editor import Editor
from kit.patch.locate import codex_jobs
from kit.patch.plan import JobPlan
from kit.patch.splice import Edit, splice
from kit.patch.transforms import plan_job
from kit.patch.verify import expected_data, first_difference
from kit.patch.yamldoc import Document, UnsafeDocument


@dataclass
class WorkflowPatch:
    """The outcome for one workflow: the new text and what changed in which Codex job."""

    text: str
    changed: bool
    codex_jobs: list[str] = field(default_factory=list)
    jobs: list[JobPlan] = field(default_factory=list)


def plan_workflow(doc: Document) -> tuple[list[JobPlan], list[Edit], list[str]]:
    """The plan of every Codex job, the text edits they need (in planned order) and the jobs' ids."""
    editor = Editor(doc)
    jobs = codex_jobs(doc)
    plans = [plan_job(editor, job) for job in jobs]
    return plans, editor.edits, [job.job_id for job in jobs]


def patch_workflow(text: str, where: str = "<workflow>") -> WorkflowPatch:
    """Harden every Codex job in `text`; raises UnsafeDocument when it cannot do so safely."""
    doc = Document.parse(text, where)
    try:
        plans, edits, names = plan_workflow(doc)
    except UnsafeDocument as err:
        raise UnsafeDocument(f"{where}: {err}") from err
    if not edits:
        return WorkflowPatch(text, False, names, plans)
    try:
        new_text = splice(text, edits)
    except UnsafeDocument as err:
        raise UnsafeDocument(f"{where}: {err}") from err
    _verify(doc, new_text, plans, where)
    return WorkflowPatch(new_text, True, names, plans)


def _verify(before: Document, new_text: str, plans: list[JobPlan], where: str) -> None:
    try:
        after = Document.parse(new_text, where)
    except UnsafeDocument as err:
        raise UnsafeDocument(f"{where}: the patched text would not parse ({err}); nothing written") from err
    problem = first_difference(expected_data(before.data, plans), after.data)
    if problem:
        raise UnsafeDocument(f"{where}: the patch would change more than intended at {problem}; nothing written")
    _, again, _ = plan_workflow(after)
    if again:
        raise UnsafeDocument(f"{where}: the patch does not converge (a second run would edit again); nothing written")
