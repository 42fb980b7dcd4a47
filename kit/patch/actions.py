"""Where Codex runs besides a workflow's own steps: local composite actions and remote callees.

A local action is a folder holding `action.yml` (or `action.yaml`): every `.github/actions/<name>/`
and every folder a workflow or another local action names with `uses: ./…`. One that runs Codex,
directly or through another local action, is hardened in place; the workflow jobs that use it get
the fork guard. A remote action or a reusable workflow in another repository whose name says it
runs Codex cannot be hardened here: the caller's file gets a note naming where it must happen.
Reading is tolerant (a file that does not parse is simply not followed); editing is not. A local
action whose folder or file leads outside the repository (`./../x`, a symlink) is never read: it is
kept with `outside` set, for the caller to refuse.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from yaml.error import YAMLError

from kit.errors import RefusedFile
from kit.patch import yamlread
from kit.patch.locate import is_codex_step, local_ref
from kit.patch.source import Source
from kit.textfile import searchable_text
from kit.vocabulary import CODEX_ACTION, LOCAL_ACTION_FILES

_REMOTE = re.compile(r"^(?P<owner>[A-Za-z0-9_.-]+)/(?P<repo>[A-Za-z0-9_.-]+)(?P<path>/[^@]*)?@(?P<ref>\S+)$")


@dataclass
class LocalAction:
    """One local action: its `uses:` reference (without `./`), its file (relative to the root), and who uses it."""

    ref: str
    path: str
    data: Any
    direct: bool = False  # one of its composite steps is openai/codex-action
    runs_codex: bool = False  # directly or through another local action
    uses: list[str] = field(default_factory=list)  # local actions its steps use
    callers: list[str] = field(default_factory=list)  # "<file>: job `x`" or "<action file>"
    outside: str | None = None  # where it really leads, when that is outside the repository (never read)


def action_file(source: Source, ref: str) -> str | None:
    files = (PurePosixPath(ref, name).as_posix() for name in LOCAL_ACTION_FILES)  # `./` as a Path drops it
    return next((rel for rel in files if source.is_file(rel)), None)


def steps_of_workflow(data: Any) -> list[tuple[str, list[Any]]]:
    """(job id, steps) of every job of a workflow's data."""
    jobs = data.get("jobs") if isinstance(data, dict) else None
    if not isinstance(jobs, dict):
        return []
    return [
        (str(j), job["steps"])
        for j, job in jobs.items()
        if isinstance(job, dict) and isinstance(job.get("steps"), list)
    ]


def composite_steps(data: Any) -> list[Any]:
    runs = data.get("runs") if isinstance(data, dict) else None
    if isinstance(runs, dict) and str(runs.get("using", "")).strip() == "composite":
        steps = runs.get("steps")
        return steps if isinstance(steps, list) else []
    return []


def find_local_actions(source: Source, workflows: list[str], scan_folder: bool = True) -> dict[str, LocalAction]:
    """Every local action reachable from `.github/actions/*` (when `scan_folder`) and the workflows, with
    `runs_codex` decided (a fixed point over actions that use other local actions) and its callers listed."""
    found: dict[str, LocalAction] = {}
    pending = [p.rsplit("/", 1)[0] for p in source.glob(".github/actions/*/action.y*ml")] if scan_folder else []
    sources = {rel: _bytes(source, rel) for rel in workflows if not source.is_symlink(rel)}
    local = {rel: raw for rel, raw in sources.items() if b"./" in raw}  # only these can name a local action
    workflow_data = {rel: _load(raw) for rel, raw in local.items()}
    for data in workflow_data.values():
        pending += [ref for _, steps in steps_of_workflow(data) for ref in _local_uses(steps)]
    while pending:
        ref = pending.pop()
        if ref in found:
            continue
        outside = source.outside(ref)
        path = action_file(source, ref) if outside is None else None
        outside = outside or (source.outside(path) if path else None)
        if outside is not None:
            found[ref] = LocalAction(ref, ref, None, outside=outside)
            continue
        if path is None:
            continue
        raw = _bytes(source, source.resolve(path))  # a symlinked file inside is read here; editing it is refused
        data = _load(raw)
        steps = composite_steps(data)
        # a file that does not read but names codex-action is kept, so that editing it is refused with the reason
        unreadable = data is None and CODEX_ACTION in searchable_text(raw)
        direct = unreadable or any(is_codex_step(s) for s in steps)
        action = LocalAction(ref, path, data, direct=direct, uses=_local_uses(steps))
        found[ref] = action
        pending += action.uses
    _decide(found)
    for rel, data in workflow_data.items():
        for job, steps in steps_of_workflow(data):
            for ref in dict.fromkeys(_local_uses(steps)):
                if ref in found:
                    found[ref].callers.append(f"{rel}: job `{job}`")
    for action in found.values():
        for ref in action.uses:
            if ref in found:
                found[ref].callers.append(action.path)
    return found


def remote_notes(data: Any) -> list[str]:
    """Notes for jobs that run Codex somewhere this repository cannot edit: a reusable workflow in
    another repository, or a remote action, whose name mentions Codex (openai's own are excluded)."""
    notes: list[str] = []
    jobs = data.get("jobs") if isinstance(data, dict) else None
    if not isinstance(jobs, dict):
        return notes
    for job_id, job in jobs.items():
        if not isinstance(job, dict):
            continue
        callee = _remote_codex(job.get("uses"))
        if callee and "/.github/workflows/" in callee[1]:
            notes.append(
                f"job `{job_id}` calls the reusable workflow `{job['uses']}`, which appears to run Codex: the "
                f"hardening must happen in {callee[0]} (run codex-kit patch there); its fork guard covers this caller"
            )
        for step in job.get("steps") or []:
            remote = _remote_codex(step.get("uses")) if isinstance(step, dict) else None
            if remote:
                label = step.get("name") or step.get("id") or step["uses"]
                notes.append(
                    f"job `{job_id}`: step `{label}` uses `{step['uses']}`, an action in {remote[0]} that appears "
                    f"to run Codex: harden it there (its composite steps), or vendor it under .github/actions/ "
                    "so codex-kit can harden it here"
                )
    return notes


def _remote_codex(uses: Any) -> tuple[str, str] | None:
    """(owner/repo, path) of a remote `uses:` whose name mentions Codex; None otherwise."""
    match = _REMOTE.match(str(uses or "").strip())
    if not match or match["owner"].lower() == "openai":
        return None
    where = f"{match['owner']}/{match['repo']}"
    path = match["path"] or ""
    return (where, path) if "codex" in f"{where}{path}".lower() else None


def _decide(found: dict[str, LocalAction]) -> None:
    for action in found.values():
        action.runs_codex = action.direct
    changed = True
    while changed:
        changed = False
        for action in found.values():
            if not action.runs_codex and any(found.get(ref) and found[ref].runs_codex for ref in action.uses):
                action.runs_codex = changed = True


def _local_uses(steps: list[Any]) -> list[str]:
    return [ref for s in steps if isinstance(s, dict) and (ref := local_ref(s.get("uses"))) is not None]


def _bytes(source: Source, rel: str) -> bytes:
    """The file's bytes, or none when the kit will not read it (a symlink, too large, unreadable): the
    file is then refused where it would be edited, with the reason."""
    try:
        return source.read(rel, rel)[0]
    except RefusedFile:
        return b""


def _load(raw: bytes) -> Any:
    """The file's data, or None when it is not readable YAML (then it is simply not followed)."""
    try:
        return yamlread.load(raw.decode("utf-8-sig"))
    except (YAMLError, UnicodeDecodeError):
        return None
