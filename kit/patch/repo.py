"""Patch a repository: every workflow that uses codex-action, each judged and written on its own.

A refused file is left byte-for-byte as it was and reported with its reason; the other files are
still patched. Nothing is written in check or diff mode, and a write is atomic per file. Every file
is read once (never through a symlink, never beyond `kit.textfile.MAX_BYTES`) and written only if it
is still what was read; a write the OS refuses (a read-only folder, a full disk) refuses that file.
What leads outside the repository is never read or written (`kit.patch.paths`).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from kit.errors import RefusedFile, UsageError
from kit.patch import paths
from kit.patch.actions import LocalAction, find_local_actions, remote_notes
from kit.patch.dbtest import DbTestOutcome, plan_db_tests
from kit.patch.diff import unified_diff
from kit.patch.workflow import WorkflowPatch, patch_action, patch_workflow
from kit.textfile import FileState, TextFile, read_file, searchable_text, write_atomic
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
    """The `.y*ml` entries of `.github/workflows` (symlinks included, to be refused or skipped one by one)."""
    folder = root / ".github" / "workflows"
    if not folder.is_dir():
        return []
    found = (p for p in folder.iterdir() if p.suffix in (".yml", ".yaml") and (p.is_symlink() or p.is_file()))
    return sorted(found)


def patch_file(
    path: Path, root: Path, write: bool, diff: bool = True, local_codex: frozenset[str] = frozenset()
) -> FileResult | None:
    """Harden one workflow file; None when it neither uses codex-action (itself or through a local action
    in `local_codex`) nor calls a remote workflow or action that runs Codex."""
    rel = path.relative_to(root).as_posix()
    if path.is_symlink():
        return _symlinked_workflow(path, root, rel)
    try:
        raw, state = read_file(path, rel)
    except RefusedFile as err:
        return FileResult(rel, "refused", error=str(err))
    view = searchable_text(raw)  # a UTF-16 file's words are found too, so it is refused, not skipped
    uses_codex = CODEX_ACTION in view or any(f"./{ref}" in view for ref in local_codex)
    if not uses_codex and "codex" not in view.lower():
        return None

    def patch(text: str, rel: str) -> WorkflowPatch:
        return patch_workflow(text, rel, local_codex)

    result = _patch_text(path, raw, state, root, write, diff, patch, "workflow")
    if result is None or (result.status == "refused" and not uses_codex):
        return None
    return result


def _symlinked_workflow(path: Path, root: Path, rel: str) -> FileResult | None:
    """A workflow that is a symlink is never edited (that would replace the link with a file), and one
    that leads outside the repository is never read: both are refused; one to a file inside that does
    not mention Codex is nothing to the kit."""
    link = os.readlink(path)
    target = paths.outside_target(root, path)
    if target is not None:
        return FileResult(rel, "refused", error=f"{rel}: is a symlink to {target}, outside the repository; not read")
    try:
        raw, _ = read_file(path.resolve(), rel)
    except RefusedFile:
        return None
    if "codex" not in searchable_text(raw).lower():
        return None
    return FileResult(
        rel,
        "refused",
        error=f"{rel}: is a symlink (to {link}); the kit edits only regular files: patch the file it names",
    )


def patch_action_file(
    action: LocalAction, root: Path, write: bool, diff: bool, local_codex: frozenset[str]
) -> FileResult:
    """Harden a local composite action that runs Codex; its callers are listed on the result."""

    def patch(text: str, rel: str) -> WorkflowPatch:
        return patch_action(text, rel, local_codex)

    rel = action.path.relative_to(root).as_posix()
    try:
        raw, state = read_file(action.path, rel)
    except RefusedFile as err:
        result: FileResult | None = FileResult(rel, "refused", kind="action", error=str(err))
    else:
        result = _patch_text(action.path, raw, state, root, write, diff, patch, "action")
    if result is None:  # not a composite action: nothing the kit can edit in it
        result = FileResult(rel, "unchanged", kind="action", notes=["not a composite action; the kit edits only those"])
    result.callers = list(action.callers)
    if not action.direct:
        via = ", ".join(f"`./{ref}`" for ref in action.uses if ref in local_codex)
        result.notes.append(f"runs Codex through the local action {via}, hardened there")
    return result


def _patch_text(
    path: Path,
    raw: bytes,
    state: FileState,
    root: Path,
    write: bool,
    diff: bool,
    patch: Callable[[str, str], WorkflowPatch],
    kind: str,
) -> FileResult | None:
    """Patch one file (`raw`, its bytes as read once, `state` what the file was then) with `patch`; a
    refusal is a result, a file with nothing to do for the kit is None."""
    rel = path.relative_to(root).as_posix()
    try:
        original = TextFile.parse(raw, rel, state)
        result = patch(original.text, rel)
    except RefusedFile as err:
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
        problem = write_checked(path, new_bytes, state, rel)
        if problem:
            return FileResult(rel, "refused", kind=kind, jobs=jobs, notes=notes, error=problem)
    text_diff = unified_diff(rel, raw, new_bytes) if diff else ""
    return FileResult(rel, "patched", kind=kind, jobs=jobs, notes=notes, diff=text_diff)


def write_checked(path: Path, data: bytes, state: FileState | None, rel: str) -> str | None:
    """Write `data` over `path` if it is still the file that was read; the reason it was not, else None.

    The file is then as it was: `write_atomic` removes its temporary file on any failure."""
    try:
        write_atomic(path, data, expect=state, where=rel)
    except RefusedFile as err:
        return str(err)
    except OSError as err:
        return f"{rel}: cannot write it ({err.strerror or err}); left as it was"
    return None


def patch_db_test_files(root: Path, write: bool, diff: bool = True) -> tuple[DbTestOutcome, list[FileResult]]:
    """The DB policy test: at most one ACTIVE row. Ambiguity or absence is a message, not an error;
    an unusable `[tool.codex-kit]` or a failed write refuses (the outcome then says `error`)."""
    outcome = plan_db_tests(root)
    if outcome.status == "error":
        return outcome, [FileResult("pyproject.toml", "refused", kind="db-test", error=outcome.message)]
    files = []
    for rel, (source, new) in outcome.changed.items():
        new_bytes = source.with_text(new).encode()
        problem = write_checked(root / rel, new_bytes, source.state, rel) if write else None
        if problem:
            files.append(FileResult(rel, "refused", kind="db-test", error=problem))
            outcome.status, outcome.message = "error", problem
            continue
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
    blocked: dict[str, str] = {}
    for folder in paths.GITHUB_FOLDERS:
        problem = paths.symlinked_folder(root, folder)
        if problem and str(problem) not in blocked.values():
            blocked[folder] = str(problem)
            files.append(FileResult(folder, "refused", error=str(problem)))
    workflows: list[Path] = []
    if not blocked.keys() & {".github", ".github/workflows"}:
        try:
            workflows = workflow_files(root)
        except OSError as err:
            error = f".github/workflows: cannot list it ({err.strerror or err}); nothing in it was patched"
            files.append(FileResult(".github/workflows", "refused", error=error))
    actions = find_local_actions(root, workflows, scan_folder=not blocked.keys() & {".github", ".github/actions"})
    local_codex = frozenset(ref for ref, action in actions.items() if action.runs_codex and not action.outside)
    for path in workflows:
        result = patch_file(path, root, write, diff, local_codex)
        if result is not None:
            files.append(result)
    for ref in sorted(local_codex):
        files.append(patch_action_file(actions[ref], root, write, diff, local_codex))
    for ref, action in sorted(actions.items()):
        if action.outside:
            callers = ", ".join(action.callers) or "a local action"
            error = (
                f"./{ref}: used by {callers}, leads outside the repository (to {action.outside}); not followed, "
                "so the kit cannot tell whether it runs Codex"
            )
            files.append(FileResult(f"./{ref}", "refused", kind="action", error=error, callers=list(action.callers)))
    outcome, db_files = patch_db_test_files(root, write, diff)
    return RepoResult(files + db_files, write, outcome)
