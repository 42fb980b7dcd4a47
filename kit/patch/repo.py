"""Patch a repository: every workflow that uses codex-action, each judged and written on its own.

A refused file is left byte-for-byte as it was and reported with its reason; the other files are
still patched. Nothing is written in check or diff mode, and a write is atomic per file.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from kit.errors import UsageError
from kit.patch.actions import LocalAction, find_local_actions, remote_notes
from kit.patch.dbtest import DbTestOutcome, plan_db_tests
from kit.patch.workflow import WorkflowPatch, patch_action, patch_workflow
from kit.patch.yamldoc import UnsafeDocument
from kit.textfile import TextFile, TextFormatError, write_atomic
from kit.vocabulary import CODEX_ACTION

Status = Literal["patched", "unchanged", "refused"]


@dataclass
class FileResult:
    """What happened (or would happen) to one file.

    `kind` is "workflow", "action" (a local composite action that runs Codex; `callers` lists the
    workflow jobs, as "<file>: job `<id>`", and the local actions that use it) or "db-test"."""

    path: str
    status: Status
    kind: str = "workflow"
    jobs: dict[str, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    error: str | None = None
    diff: str = ""
    callers: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        found = {
            "path": self.path,
            "kind": self.kind,
            "status": self.status,
            "jobs": self.jobs,
            "notes": self.notes,
            "error": self.error,
        }
        if self.kind == "action":
            found["callers"] = self.callers
        return found


@dataclass
class RepoResult:
    files: list[FileResult]
    written: bool
    db_test: DbTestOutcome | None = None

    @property
    def changed(self) -> list[FileResult]:
        return [f for f in self.files if f.status == "patched"]

    @property
    def refused(self) -> list[FileResult]:
        return [f for f in self.files if f.status == "refused"]

    @property
    def actions(self) -> list[FileResult]:
        """The local composite actions that run Codex (each with its callers)."""
        return [f for f in self.files if f.kind == "action"]


def workflow_files(root: Path) -> list[Path]:
    folder = root / ".github" / "workflows"
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in (".yml", ".yaml"))


def patch_file(
    path: Path, root: Path, write: bool, diff: bool = True, local_codex: frozenset[str] = frozenset()
) -> FileResult | None:
    """Harden one workflow file; None when it neither uses codex-action (itself or through a local action
    in `local_codex`) nor calls a remote workflow or action that runs Codex."""
    raw = path.read_bytes()
    uses_codex = CODEX_ACTION.encode() in raw or any(f"./{ref}".encode() in raw for ref in local_codex)
    if not uses_codex and b"codex" not in raw.lower():
        return None

    def patch(text: str, rel: str) -> WorkflowPatch:
        return patch_workflow(text, rel, local_codex)

    result = _patch_text(path, raw, root, write, diff, patch, "workflow")
    if result is None or (result.status == "refused" and not uses_codex):
        return None
    return result


def patch_action_file(
    action: LocalAction, root: Path, write: bool, diff: bool, local_codex: frozenset[str]
) -> FileResult:
    """Harden a local composite action that runs Codex; its callers are listed on the result."""

    def patch(text: str, rel: str) -> WorkflowPatch:
        return patch_action(text, rel, local_codex)

    result = _patch_text(action.path, action.path.read_bytes(), root, write, diff, patch, "action")
    if result is None:  # not a composite action: nothing the kit can edit in it
        rel = action.path.relative_to(root).as_posix()
        result = FileResult(rel, "unchanged", kind="action", notes=["not a composite action; the kit edits only those"])
    result.callers = list(action.callers)
    if not action.direct:
        via = ", ".join(f"`./{ref}`" for ref in action.uses if ref in local_codex)
        result.notes.append(f"runs Codex through the local action {via}, hardened there")
    return result


def _patch_text(
    path: Path, raw: bytes, root: Path, write: bool, diff: bool, patch: Callable[[str, str], WorkflowPatch], kind: str
) -> FileResult | None:
    """Patch one file (`raw`, its bytes as read once) with `patch`; a refusal is a result, a file with
    nothing to do for the kit is None."""
    rel = path.relative_to(root).as_posix()
    try:
        original = TextFile.parse(raw, rel)
        result = patch(original.text, rel)
    except (UnsafeDocument, TextFormatError) as err:
        return FileResult(rel, "refused", kind=kind, error=str(err))
    remote = remote_notes(result.data) if kind == "workflow" else []
    if not result.codex_jobs and not remote:
        return None
    jobs = {plan.job_id: plan.actions for plan in result.jobs if plan.actions or kind == "workflow"}
    where = "job `{}`: " if kind == "workflow" else ""
    notes = [where.format(plan.job_id) + note for plan in result.jobs for note in plan.notes] + remote
    if not result.changed:
        return FileResult(rel, "unchanged", kind=kind, jobs=jobs, notes=notes)
    new_bytes = original.with_text(result.text).encode()
    if write:
        write_atomic(path, new_bytes)
    text_diff = unified_diff(rel, raw, new_bytes) if diff else ""
    return FileResult(rel, "patched", kind=kind, jobs=jobs, notes=notes, diff=text_diff)


NO_NEWLINE = "\\ No newline at end of file\n"


def unified_diff(rel: str, old: bytes, new: bytes) -> str:
    """A unified diff of the file's real bytes (BOM, CRLF and a missing final newline included) that
    `git apply` accepts: a last line without a newline is followed by git's `\\ No newline` marker."""
    pieces = difflib.unified_diff(_lines(old), _lines(new), fromfile=f"a/{rel}", tofile=f"b/{rel}")
    return "".join(piece if piece.endswith("\n") else f"{piece}\n{NO_NEWLINE}" for piece in pieces)


def _lines(data: bytes) -> list[str]:
    """The file's lines split on LF only, each keeping its own ending (a CR stays part of the line)."""
    parts = data.decode("utf-8").split("\n")
    return [part + "\n" for part in parts[:-1]] + ([parts[-1]] if parts[-1] else [])


def patch_db_test_files(root: Path, write: bool, diff: bool = True) -> tuple[DbTestOutcome, list[FileResult]]:
    """The DB policy test: at most one ACTIVE row. Ambiguity or absence is a message, not an error."""
    outcome = plan_db_tests(root)
    files = []
    for rel, (source, new) in outcome.changed.items():
        new_bytes = source.with_text(new).encode()
        if write:
            write_atomic(root / rel, new_bytes)
        text_diff = unified_diff(rel, source.encode(), new_bytes) if diff else ""
        files.append(FileResult(rel, "patched", kind="db-test", diff=text_diff))
    return outcome, files


def patch_repo(root: Path, write: bool = True, diff: bool = True) -> RepoResult:
    """Harden every Codex workflow under `root`; refusals are reported, never fatal to the others.

    `diff=False` skips computing each changed file's unified diff (`FileResult.diff` stays empty)."""
    root = root.resolve()
    if not root.is_dir():
        raise UsageError(f"{root}: not a directory")
    files: list[FileResult] = []
    workflows = workflow_files(root)
    actions = find_local_actions(root, workflows)
    local_codex = frozenset(ref for ref, action in actions.items() if action.runs_codex)
    for path in workflows:
        result = patch_file(path, root, write, diff, local_codex)
        if result is not None:
            files.append(result)
    for ref in sorted(local_codex):
        files.append(patch_action_file(actions[ref], root, write, diff, local_codex))
    outcome, db_files = patch_db_test_files(root, write, diff)
    if outcome.status == "error":
        files.append(FileResult("pyproject.toml", "refused", kind="db-test", error=outcome.message))
    return RepoResult(files + db_files, write, outcome)
