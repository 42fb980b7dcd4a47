"""What a plan is: the edits' expected results, per job and step, for the verifier to check.

The transforms (`kit.patch.transforms`) plan text edits through an `Editor`; alongside each edit
they record here the value the verifier must find in the re-parsed file, so a splice that lands in
the wrong place is caught before anything is written. A `JobContext` is what a transform is given:
the document, the Codex job, its plan so far and the editor.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kit.patch import expressions as ex
from kit.patch.editor import Editor
from kit.patch.locate import CodexJob
from kit.patch.yamldoc import Document, UnsafeDocument


@dataclass(frozen=True)
class Expr:
    """An expected condition: equal to any text that is the same expression."""

    expression: str

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Expr):
            return ex.normalise(self.expression) == ex.normalise(other.expression)
        if isinstance(other, str):
            try:
                return ex.normalise(self.expression) == ex.normalise(other)
            except UnsafeDocument:
                return False
        return NotImplemented

    def __hash__(self) -> int:
        return hash(ex.normalise(self.expression))


@dataclass
class StepExpect:
    """What one original step must look like after the patch, and what must surround it."""

    set: dict[str, Any] = field(default_factory=dict)
    env_add: dict[str, str] = field(default_factory=dict)
    before: list[dict[str, Any]] = field(default_factory=list)
    after: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class JobPlan:
    """The actions and notes for one Codex job, and what its `if:` and steps must read back as."""

    job_id: str
    where: tuple[str, ...] = ()  # the path of a composite action's `runs:` block; () for a workflow job
    actions: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    if_expect: Expr | None = None
    steps: dict[int, StepExpect] = field(default_factory=dict)

    def step(self, index: int) -> StepExpect:
        return self.steps.setdefault(index, StepExpect())


@dataclass
class JobContext:
    """One Codex job being planned: what every transform reads and writes."""

    doc: Document
    job: CodexJob
    plan: JobPlan
    editor: Editor
    preflights: dict[str, str] = field(default_factory=dict)  # API-key expression -> preflight step id
    gates: dict[str, str] = field(default_factory=dict)  # Codex step id -> the preflight that gates it
