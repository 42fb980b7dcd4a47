"""How a patch result reads, in the words `codex-kit patch` prints and a `patch --pr` pull request repeats.

Kept beside the patch (not in `kit.console`) so that the pull request's description, written a layer
above, says exactly what the command line says, from one definition.
"""

from __future__ import annotations

from kit.patch.repo import RepoResult
from kit.vocabulary import CODEX_ACTION


def patch_lines(result: RepoResult, check: bool) -> list[str]:
    """The human summary of a patch run (refusals are printed apart, on stderr)."""
    hardenable = any(f.kind in ("workflow", "action") for f in result.files)
    lines = [] if hardenable else [f"codex-kit: no workflow or local action uses {CODEX_ACTION}"]
    verb = "would patch" if check else "patched"
    for f in result.files:
        if f.status == "refused" or f.kind not in ("workflow", "action"):
            continue
        what = " (composite action)" if f.kind == "action" else ""
        if f.status == "patched":
            lines.append(f"{verb}: {f.path}{what}")
        elif f.kind == "workflow" and not f.jobs:
            lines.append(f"not hardened here: {f.path}")  # only notes, e.g. Codex in another repository
        else:
            lines.append(f"already hardened: {f.path}{what}")
        lines += [f"  [{job}] {action}" for job, actions in f.jobs.items() for action in actions]
        lines += [f"  used by: {caller}" for caller in f.callers]
        lines += [f"  note: {note}" for note in f.notes]
    db = result.db_test
    if db is not None and db.status != "error":
        lines.append(f"{verb if db.status == 'patched' else 'DB policy test'}: {db.message}")
    return lines


def refusal_lines(result: RepoResult) -> list[str]:
    """One line per refused file, as the command line prints them on stderr (without its `codex-kit:` prefix)."""
    return [f"refused {f.error}" for f in result.refused]
