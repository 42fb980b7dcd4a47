"""Patch a repository: every workflow that uses codex-action, each judged and written on its own.

The repository is a `kit.patch.source.Source`: a folder on disk, or a file set read through the API
(`codex-kit patch --pr`); the pipeline is the same for both.

A refused file is left byte-for-byte as it was and reported with its reason; the other files are
still patched. Nothing is written in check or diff mode, and a write is atomic per file. Every file
is read once (never through a symlink, never beyond `kit.textfile.MAX_BYTES`) and written only if it
is still what was read; a write the OS refuses (a read-only folder, a full disk) refuses that file.
What leads outside the repository is never read or written (`kit.patch.paths`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Literal

from kit.errors import RefusedFile, UsageError
from kit.patch import paths
from kit.patch.actions import LocalAction, find_local_actions, remote_notes
from kit.patch.dbtest import DbTestOutcome, plan_db_tests
from kit.patch.diff import unified_diff
from kit.patch.source import FolderSource, Source
from kit.patch.workflow import WorkflowPatch, patch_action, patch_workflow
from kit.textfile import FileState, TextFile, searchable_text
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


WORKFLOWS = ".github/workflows"


def workflow_files(source: Source) -> list[str]:
    """The `.y*ml` entries of `.github/workflows` (symlinks included, to be refused or skipped one by one)."""
    if not source.is_dir(WORKFLOWS):
        return []
    found = (
        f"{WORKFLOWS}/{name}"
        for name in source.children(WORKFLOWS)
        if PurePosixPath(name).suffix in (".yml", ".yaml")
        and (source.is_symlink(f"{WORKFLOWS}/{name}") or source.is_file(f"{WORKFLOWS}/{name}"))
    )
    return sorted(found, key=lambda rel: PurePosixPath(rel).parts)


def patch_file(
    source: Source, rel: str, write: bool, diff: bool = True, local_codex: frozenset[str] = frozenset()
) -> FileResult | None:
    """Harden one workflow file; None when it neither uses codex-action (itself or through a local action
    in `local_codex`) nor calls a remote workflow or action that runs Codex."""
    if source.is_symlink(rel):
        return _symlinked_workflow(source, rel)
    try:
        raw, state = source.read(rel, rel)
    except RefusedFile as err:
        return FileResult(rel, "refused", error=str(err))
    view = searchable_text(raw)  # a UTF-16 file's words are found too, so it is refused, not skipped
    uses_codex = CODEX_ACTION in view or any(f"./{ref}" in view for ref in local_codex)
    if not uses_codex and "codex" not in view.lower():
        return None

    def patch(text: str, rel: str) -> WorkflowPatch:
        return patch_workflow(text, rel, local_codex)

    result = _patch_text(source, rel, raw, state, write, diff, patch, "workflow")
    if result is None or (result.status == "refused" and not uses_codex):
        return None
    return result


def _symlinked_workflow(source: Source, rel: str) -> FileResult | None:
    """A workflow that is a symlink is never edited (that would replace the link with a file), and one
    that leads outside the repository is never read: both are refused; one to a file inside that does
    not mention Codex is nothing to the kit."""
    link = source.readlink(rel)
    target = source.outside(rel)
    if target is not None:
        return FileResult(rel, "refused", error=f"{rel}: is a symlink to {target}, outside the repository; not read")
    try:
        raw, _ = source.read(source.resolve(rel), rel)
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
    source: Source, action: LocalAction, write: bool, diff: bool, local_codex: frozenset[str]
) -> FileResult:
    """Harden a local composite action that runs Codex; its callers are listed on the result."""

    def patch(text: str, rel: str) -> WorkflowPatch:
        return patch_action(text, rel, local_codex)

    rel = action.path
    try:
        raw, state = source.read(rel, rel)
    except RefusedFile as err:
        result: FileResult | None = FileResult(rel, "refused", kind="action", error=str(err))
    else:
        result = _patch_text(source, rel, raw, state, write, diff, patch, "action")
    if result is None:  # not a composite action: nothing the kit can edit in it
        result = FileResult(rel, "unchanged", kind="action", notes=["not a composite action; the kit edits only those"])
    result.callers = list(action.callers)
    if not action.direct:
        via = ", ".join(f"`./{ref}`" for ref in action.uses if ref in local_codex)
        result.notes.append(f"runs Codex through the local action {via}, hardened there")
    return result


def _patch_text(
    source: Source,
    rel: str,
    raw: bytes,
    state: FileState | None,
    write: bool,
    diff: bool,
    patch: Callable[[str, str], WorkflowPatch],
    kind: str,
) -> FileResult | None:
    """Patch one file (`raw`, its bytes as read once, `state` what the file was then) with `patch`; a
    refusal is a result, a file with nothing to do for the kit is None."""
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
        problem = write_checked(source, rel, new_bytes, state)
        if problem:
            return FileResult(rel, "refused", kind=kind, jobs=jobs, notes=notes, error=problem)
    text_diff = unified_diff(rel, raw, new_bytes) if diff else ""
    return FileResult(rel, "patched", kind=kind, jobs=jobs, notes=notes, diff=text_diff)


def write_checked(source: Source, rel: str, data: bytes, state: FileState | None) -> str | None:
    """Write `data` over `rel` if it is still the file that was read; the reason it was not, else None.

    The file is then as it was: `write_atomic` removes its temporary file on any failure."""
    try:
        source.write(rel, data, state, rel)
    except RefusedFile as err:
        return str(err)
    except OSError as err:
        return f"{rel}: cannot write it ({err.strerror or err}); left as it was"
    return None


def patch_db_test_files(source: Source, write: bool, diff: bool = True) -> tuple[DbTestOutcome, list[FileResult]]:
    """The DB policy test: at most one ACTIVE row. Ambiguity or absence is a message, not an error;
    an unusable `[tool.codex-kit]` or a failed write refuses (the outcome then says `error`)."""
    outcome = plan_db_tests(source)
    if outcome.status == "error":
        return outcome, [FileResult("pyproject.toml", "refused", kind="db-test", error=outcome.message)]
    files = []
    for rel, (text, new) in outcome.changed.items():
        new_bytes = text.with_text(new).encode()
        problem = write_checked(source, rel, new_bytes, text.state) if write else None
        if problem:
            files.append(FileResult(rel, "refused", kind="db-test", error=problem))
            outcome.status, outcome.message = "error", problem
            continue
        text_diff = unified_diff(rel, text.encode(), new_bytes) if diff else ""
        files.append(FileResult(rel, "patched", kind="db-test", diff=text_diff))
    return outcome, files


def patch_workflows(source: Source, write: bool = True, diff: bool = True) -> list[FileResult]:
    """Every Codex workflow and local composite action of `source`; refusals are results, never fatal."""
    files: list[FileResult] = []
    blocked: dict[str, str] = {}
    for folder in paths.GITHUB_FOLDERS:
        problem = paths.symlinked_folder(source, folder)
        if problem and str(problem) not in blocked.values():
            blocked[folder] = str(problem)
            files.append(FileResult(folder, "refused", error=str(problem)))
    workflows: list[str] = []
    if not blocked.keys() & {".github", WORKFLOWS}:
        try:
            workflows = workflow_files(source)
        except OSError as err:
            error = f"{WORKFLOWS}: cannot list it ({err.strerror or err}); nothing in it was patched"
            files.append(FileResult(WORKFLOWS, "refused", error=error))
    actions = find_local_actions(source, workflows, scan_folder=not blocked.keys() & {".github", ".github/actions"})
    local_codex = frozenset(ref for ref, action in actions.items() if action.runs_codex and not action.outside)
    for rel in workflows:
        result = patch_file(source, rel, write, diff, local_codex)
        if result is not None:
            files.append(result)
    for ref in sorted(local_codex):
        files.append(patch_action_file(source, actions[ref], write, diff, local_codex))
    for ref, action in sorted(actions.items()):
        if action.outside:
            callers = ", ".join(action.callers) or "a local action"
            error = (
                f"./{ref}: used by {callers}, leads outside the repository (to {action.outside}); not followed, "
                "so the kit cannot tell whether it runs Codex"
            )
            files.append(FileResult(f"./{ref}", "refused", kind="action", error=error, callers=list(action.callers)))
    return files


def patch_source(source: Source, write: bool = True, diff: bool = True) -> RepoResult:
    """Harden every Codex workflow of `source`, then the DB policy test; refusals are reported, never fatal."""
    files = patch_workflows(source, write, diff)
    outcome, db_files = patch_db_test_files(source, write, diff)
    return RepoResult(files + db_files, write, outcome)


def patch_repo(root: Path, write: bool = True, diff: bool = True) -> RepoResult:
    """Harden every Codex workflow under the folder `root`; refusals are reported, never fatal to the others.

    `diff=False` skips computing each changed file's unified diff (`FileResult.diff` stays empty)."""
    root = root.resolve()
    if not root.is_dir():
        raise UsageError(f"{root}: not a directory")
    return patch_source(FolderSource(root), write, diff)
