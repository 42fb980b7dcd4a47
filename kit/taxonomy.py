"""The failure taxonomy: ordered rules read from taxonomy.yaml, each with a meaning and a remedy.

Rules are data so that a reviewer can read and change them without reading code; this module only
checks and compiles them. A rules file is validated against `taxonomy.schema.json` before anything
is compiled, so a misspelt key, a missing remedy or a duplicate rule id is an error naming the file
and the rule, never a rule that silently does nothing. A team can add its own rules file (same
schema); its rules are tried ahead of the shipped ones.

The classifier and the history fetch (which keeps the log lines worth classifying) both read the
same rules, which is why this module sits below both of them: it imports nothing of codex-kit but
the error type.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from kit.errors import UsageError

RULES_FILE = Path(str(resources.files("kit").joinpath("taxonomy.yaml")))  # package data, as the schema
SCHEMA_RESOURCE = "taxonomy.schema.json"
NOT_FAILURES = ("skipped-on-fork",)
# A Codex failure whose log lines no rule names: it is still reported, with its most informative line.
UNRECOGNISED = "unrecognised"
# A failure whose log is not in the cache yet (not fetched, or the fetch stopped before it).
NO_LOG = "no-log"
# A failure whose log GitHub no longer has (deleted after its retention period) and the cache never kept.
LOG_GONE = "log-gone"
# A failure whose log was read and that no rule names: it counts against the "named" share.
UNNAMED = (UNRECOGNISED,)
# Failures still counted, whose cause cannot be known from here: too many of them and a criterion that
# needs the cause says NOT ENOUGH DATA (never PASS) instead of judging the rest as if they were all.
REASON_MISSING = (NO_LOG, LOG_GONE)
RESERVED = (*NOT_FAILURES, *UNNAMED, *REASON_MISSING)
BUILT_IN = {
    UNRECOGNISED: (
        "The job failed but no rule names the cause; the evidence is the most informative line of its log "
        "(the last ##[error] line, else the last Error:/ERROR: line, else the Codex exit line).",
        "Read the evidence line and the job log. If it recurs, write a rule for it in a team rules file, check it "
        "with `codex-kit classify LOGFILE`, and pass the file with `--taxonomy`.",
    ),
    NO_LOG: (
        "The job failed but its log is not in the cache yet: the fetch has not downloaded it (or stopped before "
        "it); the evidence is which step the jobs API says failed.",
        "Run `codex-kit fetch` again: it downloads the logs still pending.",
    ),
    LOG_GONE: (
        "The job failed but GitHub no longer has its log (logs are deleted after the repository's retention "
        "period, 90 days by default) and the cache never kept it; the evidence is which step the jobs API says "
        "failed.",
        "Fetch on a schedule shorter than the log retention, so each failure's lines are kept in the cache "
        "before GitHub deletes the log.",
    ),
}


@dataclass(frozen=True)
class Rule:
    id: str
    category: str
    pattern: re.Pattern[str]
    meaning: str
    remedy: str
    scope: str = "codex"
    requires: re.Pattern[str] | None = None
    server_info: bool = False
    blames_key: bool = False
    source: str = ""  # the file the rule was read from


@dataclass(frozen=True)
class Taxonomy:
    version: int
    rules: tuple[Rule, ...]
    extra: str = ""  # the team rules file merged ahead of the shipped rules, if any

    def for_scope(self, scope: str) -> tuple[Rule, ...]:
        return tuple(rule for rule in self.rules if rule.scope == scope)

    def categories(self, scope: str = "codex") -> list[str]:
        seen: dict[str, None] = {}
        for rule in self.for_scope(scope):
            seen.setdefault(rule.category, None)
        return [*seen, *UNNAMED, *REASON_MISSING]

    def describe(self) -> dict[str, tuple[str, str]]:
        """category -> (meaning, remedy) of its first rule; the built-in categories included."""
        found: dict[str, tuple[str, str]] = {}
        for rule in self.rules:
            found.setdefault(rule.category, (rule.meaning, rule.remedy))
        return {**found, **BUILT_IN}

    def signal(self) -> re.Pattern[str]:
        """Any line any rule (or a `requires`) could look at: what a fetch keeps of a log."""
        parts = [rule.pattern.pattern for rule in self.rules]
        parts += [rule.requires.pattern for rule in self.rules if rule.requires]
        return re.compile("|".join(f"(?:{p})" for p in parts))


@cache
def load_taxonomy(extra: Path | None = None) -> Taxonomy:
    """The shipped rules, with a team's extra rules file (same schema) tried ahead of them.

    Every file is validated first; a problem is a `UsageError` naming the file and the rule.
    """
    shipped_raw = _read(RULES_FILE)
    shipped = _compile(shipped_raw, RULES_FILE)
    if extra is None:
        return Taxonomy(int(shipped_raw["version"]), shipped)
    extra = Path(extra)
    added = _compile(_read(extra), extra)
    clashes = sorted({r.id for r in added} & {r.id for r in shipped})
    if clashes:
        raise UsageError(
            f"{extra}: rule id {', '.join(clashes)} is already a shipped rule in {RULES_FILE.name}; give the team "
            "rule its own id (rules are tried in order, so yours already run first)"
        )
    return Taxonomy(int(shipped_raw["version"]), added + shipped, extra=str(extra))


def read_rules(path: Path) -> tuple[Rule, ...]:
    """One rules file on its own, validated and compiled (for checking a team file before using it)."""
    return _compile(_read(Path(path)), Path(path))


@cache
def schema() -> dict[str, Any]:
    return json.loads(resources.files("kit").joinpath(SCHEMA_RESOURCE).read_text(encoding="utf-8"))


def _read(path: Path) -> dict[str, Any]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise UsageError(f"{path}: cannot read the taxonomy rules: {err.strerror or err}") from err
    except yaml.YAMLError as err:
        raise UsageError(f"{path}: not valid YAML: {err}") from err
    problems = [_describe(error, raw, path) for error in _validator().iter_errors(raw)]
    if problems:
        raise UsageError("\n".join(sorted(problems)))
    return raw


@cache
def _validator() -> jsonschema.protocols.Validator:
    cls = jsonschema.validators.validator_for(schema())
    cls.check_schema(schema())
    return cls(schema())


def _describe(error: jsonschema.ValidationError, raw: Any, path: Path) -> str:
    """`file: rule <id>: message` for an error inside a rule, `file: message` for the file's top level."""
    where = list(error.absolute_path)
    if len(where) >= 2 and where[0] == "rules" and isinstance(where[1], int):
        item = raw["rules"][where[1]]
        rule_id = item.get("id", f"#{where[1] + 1}") if isinstance(item, dict) else f"#{where[1] + 1}"
        field = f" ({'.'.join(str(p) for p in where[2:])})" if len(where) > 2 else ""
        return f"{path}: rule {rule_id}{field}: {_message(error)}"
    return f"{path}: {_message(error)}"


def _message(error: jsonschema.ValidationError) -> str:
    if error.validator == "additionalProperties":
        allowed = ", ".join(error.schema.get("properties", {}))
        return f"{error.message}; the keys a rule may have are: {allowed}"
    if error.validator == "not" and error.instance in RESERVED:
        return f"category {error.instance!r} is reserved for the classifier's own verdicts"
    return error.message


def _compile(raw: dict[str, Any], path: Path) -> tuple[Rule, ...]:
    rules: list[Rule] = []
    seen: set[str] = set()
    for item in raw["rules"]:
        if item["id"] in seen:
            raise UsageError(f"{path}: rule {item['id']}: the id is used twice; rule ids must be unique")
        seen.add(item["id"])
        try:
            rules.append(
                Rule(
                    id=item["id"],
                    category=item["category"],
                    pattern=re.compile(item["pattern"]),
                    meaning=item["meaning"].strip(),
                    remedy=item["remedy"].strip(),
                    scope=item.get("scope", "codex"),
                    requires=re.compile(item["requires"]) if item.get("requires") else None,
                    server_info=bool(item.get("server_info", False)),
                    blames_key=bool(item.get("blames_key", False)),
                    source=str(path),
                )
            )
        except re.error as err:
            raise UsageError(f"{path}: rule {item['id']}: not a valid regular expression: {err}") from err
    return tuple(rules)
