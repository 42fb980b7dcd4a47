"""When the kit's own annotation already says why a hardened Codex job failed, its log is not downloaded.

A hardened job's preflight writes `codex-kit: preflight failed step=… reason=…` as a `::warning::`,
which GitHub keeps as an annotation of the job's check run; the GraphQL fetch receives annotations
with the jobs at no extra cost, and REST reads them with one small request instead of a log. The
log is skipped only when reading it could not change the verdict: the job has one Codex step (so
no other step's preflight could have said the key was accepted), and the taxonomy rule the
annotations match ranks above every rule that reads anything but the kit's own messages. Under the
shipped taxonomy that is a failed preflight (missing, invalid or rejected key, no quota, rate
limit, no answer); a Codex step that failed after a good preflight still needs its log, which is
where the reason is. The annotations that decided are kept as the job's lines, with negative line
numbers, so the classifier reads them exactly as it reads a log's lines.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kit.history.tables import clean_line
from kit.taxonomy import Rule
from kit.vocabulary import MESSAGE_PREFIX, parse_kit_message

GROUP = "annotation"  # the `group` of a kept line that came from an annotation, not from a log


def kit_messages(newest_first: list[str]) -> list[str]:
    """The kit's messages among a job's annotation messages, oldest first (GitHub lists newest first)."""
    cleaned = [clean_line(message.strip().splitlines()[0]) if message.strip() else "" for message in newest_first]
    return [message for message in reversed(cleaned) if parse_kit_message(message)]


def reads_only_kit_messages(rule: Rule) -> bool:
    """A rule whose pattern starts with the kit's prefix matches no line but the kit's own messages."""
    return rule.requires is None and rule.pattern.pattern.startswith(f"{MESSAGE_PREFIX} ")


def deciding_rule(messages: list[str], rules: tuple[Rule, ...]) -> Rule | None:
    """The rule that names the failure from the kit's messages alone, when no rule ranked above it (one
    that could match a log line that is not an annotation) could have named it instead; else None."""
    if not messages:
        return None
    for rule in rules:
        if not reads_only_kit_messages(rule):
            return None
        if any(rule.pattern.search(message) for message in messages):
            return rule
    return None


def may_need_no_log(job: Mapping[str, Any], codex_steps: int) -> bool:
    """A hardened Codex job (not a DB test) with one Codex step, whose output contract ran."""
    return (
        bool(job["has_codex"])
        and not bool(job["has_db_test"])
        and bool(job["hardened"])
        and job["contract_conclusion"] == "success"
        and codex_steps == 1
    )


def annotation_rows(job_id: int, run_id: int, messages: list[str]) -> list[dict[str, Any]]:
    """The kit's messages as kept lines: -n for the n-th last, so they sort oldest first."""
    count = len(messages)
    return [
        {"job_id": job_id, "run_id": run_id, "line_no": position - count, "group": GROUP, "text": text[:2000]}
        for position, text in enumerate(messages)
    ]
